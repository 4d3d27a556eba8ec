"""Reading a server-streamed watch as it arrives.

Envoy's REST bridge sends a server-streaming call as one JSON array written element by element (`[{…}`, `,{…}`,
`]`), so the elements are decoded as soon as each is complete rather than when the array closes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


class JsonArrayStream:
    def __init__(self) -> None:
        self._buffer = ""
        self._decoder = json.JSONDecoder()

    def feed(self, text: str) -> Iterator[dict[str, Any]]:
        self._buffer += text
        while True:
            rest = self._buffer.lstrip(" \r\n\t[,]")
            if not rest:
                self._buffer = ""
                return
            try:
                value, end = self._decoder.raw_decode(rest)
            except json.JSONDecodeError:
                self._buffer = rest  # incomplete element: wait for more
                return
            self._buffer = rest[end:]
            if isinstance(value, dict):
                yield value
