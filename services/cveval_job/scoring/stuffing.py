"""Keyword stuffing: text added to a CV to match a posting rather than to describe work. Its provenance flags."""

from __future__ import annotations

from typing import Final

__all__ = ["COPIED_POSTING_FLAG", "KEYWORD_LIST_FLAG", "REPEATED_TEXT_FLAG", "STUFFING_FLAGS"]

KEYWORD_LIST_FLAG: Final = "keyword_list_suspected"
REPEATED_TEXT_FLAG: Final = "repeated_text_removed"
COPIED_POSTING_FLAG: Final = "posting_text_copied"
STUFFING_FLAGS: Final = frozenset({KEYWORD_LIST_FLAG, REPEATED_TEXT_FLAG, COPIED_POSTING_FLAG})
