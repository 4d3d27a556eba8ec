"""Text of a DOCX in reading order: headers, body (paragraphs, tables, text boxes, content controls), footers.

The XML parts are streamed out of the zip with lxml's iterparse and each paragraph or table row is dropped from
the tree as soon as its text is read, so memory follows the largest paragraph, not the document. python-docx is
not used: it parses every part into one tree up front (a 219 KB file of tiny paragraphs became ~1 GB of nodes),
and its `Paragraph.text` skips content controls (`w:sdt`), field results and text boxes, which is exactly where CV
templates keep names, contact details and sidebars.

Before anything is inflated the archive's directory is checked (entry count, declared sizes, compression ratio),
and the XML parser is hardened: no DTD, no entity expansion, no network, libxml2's default depth limit.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree

from cveval_upload.domain.docx_blocks import (
    FOOTER_REFERENCE,
    HEADER_REFERENCE,
    SECT_PR,
    SKIPPED,
    TBL,
    TR,
    TXBX,
    P,
    paragraph_lines,
    row_line,
)
from cveval_upload.domain.hidden_text import HiddenText

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_W_TYPE = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}type"
_R_ID = f"{{{_REL_NS}}}id"
_DOCUMENT = "word/document.xml"
_DOCUMENT_RELS = "word/_rels/document.xml.rels"
# python-docx's order: the default header of a section, then its first-page and even-page variants.
_KINDS = ("default", "first", "even")
_MIB = 1024 * 1024


class DocxLimitExceeded(Exception):
    """The DOCX is over a size budget; the message completes "the CV ..." (e.g. "expands to 90 MiB when unzipped")."""


class UnsafeDocx(Exception):
    """The XML uses features Word never writes (a DTD, entity declarations): refused rather than parsed."""


@dataclass(frozen=True, slots=True)
class DocxLimits:
    # Uncompressed size of all entries together; images count here although their bytes are never inflated.
    max_unzipped_bytes: int = 64 * _MIB
    # Uncompressed size of one XML part that is read (document, header, footer, relationships).
    max_part_bytes: int = 16 * _MIB
    # Word's XML deflates ~5-15x; far more means padding meant to expand (a bomb of empty paragraphs).
    max_compression_ratio: int = 100
    ratio_checked_above_bytes: int = 1 * _MIB
    max_entries: int = 2_000
    # XML elements read across all parts: bounds CPU, whatever the text budget says (empty paragraphs have no text).
    max_elements: int = 2_000_000
    # Elements held in memory at once (one paragraph or table row with everything inside it).
    max_block_elements: int = 100_000


@dataclass
class _Sections:
    """Header and footer part names referenced by the sections, in python-docx's order."""

    headers: list[str] = field(default_factory=list)
    footers: list[str] = field(default_factory=list)

    def add(self, sect_pr: Any, rels: dict[str, str]) -> None:
        for tag, names in ((HEADER_REFERENCE, self.headers), (FOOTER_REFERENCE, self.footers)):
            # A section without a reference of a kind is "linked to previous": that copy was already read.
            by_kind = {ref.get(_W_TYPE, "default"): ref.get(_R_ID) for ref in sect_pr if ref.tag == tag}
            for kind in _KINDS:
                target = rels.get(by_kind.get(kind) or "")
                if target:
                    names.append(target)


def docx_lines(data: bytes, take: Callable[[str], None], limits: DocxLimits | None = None) -> list[str]:
    """The document's text, one paragraph or table row per item; `take` sees every line as it is read and may
    raise to stop early (the text budget). Raises DocxLimitExceeded, UnsafeDocx, or what zipfile/lxml raise."""
    limits = limits or DocxLimits()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        _check_archive(archive, limits)
        rels = _relationships(archive, limits)
        reader = _PartReader(archive, limits)
        sections = _Sections()
        body = [line for line in reader.lines(_DOCUMENT, sections, rels) if _took(take, line)]
        headers = _unique(reader, sections.headers, take)
        footers = _unique(reader, sections.footers, take)
    marker = reader.hidden.marker()  # what a reader could not see is left out and reported (hidden_text.py)
    return [*headers, *body, *footers, *([marker] if marker else [])]


def _took(take: Callable[[str], None], line: str) -> bool:
    take(line)
    return True


def _unique(reader: _PartReader, names: list[str], take: Callable[[str], None]) -> list[str]:
    # Sections often repeat the same header (name, phone); it should appear once in the text.
    seen: set[str] = set()
    lines: list[str] = []
    for name in dict.fromkeys(names):
        for line in reader.lines(name):
            if line not in seen:
                take(line)
                seen.add(line)
                lines.append(line)
    return lines


def _check_archive(archive: zipfile.ZipFile, limits: DocxLimits) -> None:
    # Sizes come from the central directory, before anything is inflated.
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise DocxLimitExceeded(f"is an archive of {len(infos)} entries; the limit is {limits.max_entries}")
    unzipped = sum(info.file_size for info in infos)
    if unzipped > limits.max_unzipped_bytes:
        raise DocxLimitExceeded(
            f"expands to {unzipped // _MIB} MiB when unzipped; the limit is {limits.max_unzipped_bytes // _MIB} MiB"
        )


def _open_part(archive: zipfile.ZipFile, name: str, limits: DocxLimits) -> IO[bytes]:
    info = archive.getinfo(name)
    if info.file_size > limits.max_part_bytes:
        raise DocxLimitExceeded(
            f"has a {info.file_size // _MIB} MiB XML part; the limit is {limits.max_part_bytes // _MIB} MiB"
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_checked_above_bytes and ratio > limits.max_compression_ratio:
        raise DocxLimitExceeded(
            f"has an XML part that inflates {ratio:.0f} times (limit {limits.max_compression_ratio}): "
            "it is padded to expand, not a normal Word document"
        )
    return archive.open(info)


def _hardened_events(stream: IO[bytes], events: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """iterparse that refuses any DTD: no entity is ever declared, so none can be expanded or fetched."""
    parser = etree.iterparse(
        stream,
        events=events,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    first = True
    for event, element in parser:
        if first:
            first = False
            if element.getroottree().docinfo.doctype:
                raise UnsafeDocx("declares a DTD")
        yield event, element


def _relationships(archive: zipfile.ZipFile, limits: DocxLimits) -> dict[str, str]:
    """Relationship id → part name, for the header and footer references of the sections."""
    if _DOCUMENT_RELS not in archive.NameToInfo:
        return {}
    rels: dict[str, str] = {}
    with _open_part(archive, _DOCUMENT_RELS, limits) as stream:
        for _, element in _hardened_events(stream, ("end",)):
            if element.tag == _RELATIONSHIP and element.get("TargetMode") != "External":
                target = element.get("Target", "")
                name = target.lstrip("/") if target.startswith("/") else posixpath.join("word", target)
                rels[element.get("Id", "")] = posixpath.normpath(name)
                element.clear()
    return rels


class _PartReader:
    """Streams the blocks of XML parts, counting elements against the limits across all parts it reads."""

    def __init__(self, archive: zipfile.ZipFile, limits: DocxLimits) -> None:
        self.archive = archive
        self.limits = limits
        self.elements = 0
        self.hidden = HiddenText()

    def lines(self, name: str, sections: _Sections | None = None, rels: dict[str, str] | None = None) -> Iterator[str]:
        if name not in self.archive.NameToInfo:
            if name == _DOCUMENT:
                raise KeyError(name)
            return  # a dangling header reference: nothing to read
        with _open_part(self.archive, name, self.limits) as stream:
            yield from self._blocks(stream, sections, rels or {})

    def _blocks(self, stream: IO[bytes], sections: _Sections | None, rels: dict[str, str]) -> Iterator[str]:
        # Open ancestors that decide whether an element is a block of its own: paragraphs, tables, text boxes,
        # and subtrees without visible text (properties, deleted runs, mc:Fallback copies).
        open_p = open_tbl = open_txbx = open_skipped = 0
        held = 0
        for event, element in _hardened_events(stream, ("start", "end")):
            tag = element.tag
            if event == "start":
                self.elements += 1
                held += 1
                if self.elements > self.limits.max_elements:
                    raise DocxLimitExceeded(f"has more than {self.limits.max_elements:,} XML elements")
                if held > self.limits.max_block_elements:
                    raise DocxLimitExceeded(
                        f"has a paragraph or table row of more than {self.limits.max_block_elements:,} XML elements"
                    )
                open_p += tag == P
                open_tbl += tag == TBL
                open_txbx += tag == TXBX
                open_skipped += tag in SKIPPED
                continue
            open_p -= tag == P
            open_tbl -= tag == TBL
            open_txbx -= tag == TXBX
            open_skipped -= tag in SKIPPED
            if tag == SECT_PR and sections is not None:
                sections.add(element, rels)
            if open_p or open_txbx or open_skipped:
                continue  # inside a block: read with it when the block ends
            if tag == P and not open_tbl:
                yield from paragraph_lines(element, self.hidden)
            elif tag == TR and open_tbl == 1:
                line = row_line(element, self.hidden)
                if line:
                    yield line
            elif open_tbl:
                continue  # part of a row still open
            # Done with this block (or a skipped subtree, or an emptied wrapper): free it.
            held = 0
            element.clear()
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
