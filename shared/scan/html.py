"""HTML pages: Twilio CDN ``<script src>`` tags, and inline scripts handed to the JS front end.

Inline scripts become one JavaScript text the size of the page, everything outside ``<script>`` bodies
blanked to spaces (newlines kept), so findings keep the page's own lines and columns, and classic scripts
share one scope as they do in a browser. HTML comments are never read as code.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .flow import Tracker

CDN = re.compile(r"^(?:https?:)?//(?:media\.twiliocdn\.com|sdk\.twilio\.com)/.*?(twilio-(?:video|chat|conversations|"
                 r"common|sync))", re.I)
SCRIPT_TYPES = ("", "text/javascript", "application/javascript", "module", "text/babel")


class _Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self.sources: list[tuple[int, int, str]] = []  # (line, column, src)
        self.scripts: list[tuple[int, str]] = []  # (offset of the body, body)
        self._body_at: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        values = {name: value or "" for name, value in attrs}
        line, column = self.getpos()
        if values.get("src"):
            self.sources.append((line, column + 1, values["src"]))
        elif values.get("type", "").lower() in SCRIPT_TYPES:
            start = self.line_starts[line - 1] + column
            self._body_at = start + len(self.get_starttag_text() or "")

    def handle_data(self, data: str) -> None:
        if self._body_at is not None:
            self.scripts.append((self._body_at, data))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._body_at = None


def scan_html(tracker: Tracker, text: str) -> str | None:
    """Records CDN script tags; returns the page's inline JavaScript (blanked outside scripts) or None."""
    page = _Page(text)
    page.feed(text)
    page.close()
    for line, column, src in page.sources:
        match = CDN.match(src.strip())
        if match:
            product = match.group(1).lower().removeprefix("twilio-")
            tracker.record_key(f"cdn:{product}", (line, column), f"<script src=\"…/{src.rsplit('/', 1)[-1]}\">")
    if not page.scripts:
        return None
    chars = [ch if ch == "\n" else " " for ch in text]
    for offset, body in page.scripts:
        chars[offset:offset + len(body)] = list(body)
    return "".join(chars)
