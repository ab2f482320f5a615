"""What an archived message looks like in the transcript: one JSON line, and one block of a phone-readable page.

Everything here is a pure function of its input, so a transcript written again from the
same Twilio history is byte-identical. Every string that reaches the page is escaped; a
Content-Security-Policy forbids scripts whatever a body holds.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..content import content_hash
from ..source import SourceMessage, iso

JSONL_TYPE = "application/x-ndjson; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class ArchivedMedia:
    sid: str
    name: str
    content_type: str
    size: int
    url: str


@dataclass(frozen=True)
class ArchivedMessage:
    """One Twilio message as the archive keeps it."""

    conversation_sid: str
    message: SourceMessage
    author: str  # the identity (or address identity) of the author
    display_name: str
    media: tuple[ArchivedMedia, ...]

    @property
    def content_hash(self) -> str:
        return content_hash(self.message)

    def record(self) -> dict[str, object]:
        m = self.message
        return {
            "twilioConversationSid": self.conversation_sid,
            "twilioMessageSid": m.sid,
            "index": m.index,
            "author": self.author,
            "displayName": self.display_name,
            "dateCreated": iso(m.date_created),
            "body": m.body,
            "attributes": m.attributes,
            "media": [{"sid": x.sid, "name": x.name, "contentType": x.content_type, "size": x.size, "url": x.url}
                      for x in self.media],
            "contentHash": self.content_hash,
        }


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "replace")


def jsonl_line(entry: ArchivedMessage) -> bytes:
    """One line of ``transcript.jsonl`` (ASCII JSON: any body, lone surrogates included, survives)."""
    return _bytes(json.dumps(entry.record(), ensure_ascii=True, separators=(",", ":")) + "\n")


def line_hash(line: dict[str, object]) -> str:
    """The content hash a transcript line's own body, attributes and media SIDs imply (what verify recomputes)."""
    digest = hashlib.sha256()
    media = line.get("media")
    items = media if isinstance(media, list) else []
    sids = ",".join(str(m.get("sid")) for m in items if isinstance(m, dict))
    for piece in (str(line.get("body", "")), str(line.get("attributes", "")), sids):
        digest.update(piece.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _safe_url(url: str) -> str | None:
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


_STYLE = (
    "body{font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "background:#f4f5f7;color:#1b1d21}"
    "main{max-width:44rem;margin:0 auto;padding:.75rem}"
    "h1{font-size:1.2rem;margin:.5rem 0 1rem}"
    "article{background:#fff;border-radius:.6rem;padding:.6rem .8rem;margin:0 0 .6rem;box-shadow:0 1px 2px #0002}"
    "header{display:flex;flex-wrap:wrap;gap:.25rem .75rem;font-size:.85rem;color:#555}"
    "header b{color:#1b1d21}"
    ".body{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0 0}"
    "ul{margin:.4rem 0 0;padding-left:1.1rem;font-size:.9rem}"
    "a{overflow-wrap:anywhere}"
    "footer{font-size:.85rem;color:#555;padding:.5rem 0 2rem}"
)


def html_head(topic: str, conversation_sid: str) -> bytes:
    title = f"{topic} – archived history"
    return _bytes(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<meta name=\"referrer\" content=\"no-referrer\">"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><main><h1>{_e(title)}</h1>"
        f"<p class=\"sid\" hidden>{_e(conversation_sid)}</p>\n"
    )


def html_message(entry: ArchivedMessage) -> bytes:
    m = entry.message
    when = iso(m.date_created)
    shown = when.replace("T", " ").replace("Z", " UTC") if when else "unknown time"
    parts = [f"<article id=\"m{m.index}\"><header><b>{_e(entry.display_name)}</b>"
             f"<time datetime=\"{_e(when)}\">{_e(shown)}</time><span>#{m.index}</span></header>"]
    if m.body:
        parts.append(f"<p class=\"body\">{_e(m.body)}</p>")
    if entry.media:
        items = []
        for item in entry.media:
            label = f"{item.name} ({item.content_type}, {item.size} bytes)"
            url = _safe_url(item.url)
            items.append(f"<li><a href=\"{_e(url)}\" rel=\"noopener noreferrer\">{_e(label)}</a></li>" if url
                         else f"<li>{_e(label)}</li>")
        parts.append("<ul class=\"media\">" + "".join(items) + "</ul>")
    parts.append("</article>\n")
    return _bytes("".join(parts))


def html_tail(count: int, first: str, last: str) -> bytes:
    span = f" from {first[:10]} to {last[:10]}" if first and last else ""
    return _bytes(f"<footer>{count} archived messages{_e(span)}.</footer></main></body></html>\n")
