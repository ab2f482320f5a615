"""Verify an archive against Twilio: counts and content hashes of the transcript, its media, and the one link."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..content import content_hash
from ..source import SourceMessage
from .link import is_link
from .progress import LINKED, ArchiveProgress
from .store import ArchiveStore
from .transcript import line_hash


@dataclass
class ArchiveVerdict:
    archived: int = 0  # lines in the transcript
    problems: list[str] = field(default_factory=list)


def verify_archive(store: ArchiveStore, conversation_sid: str, progress: ArchiveProgress,
                   archived: Iterable[SourceMessage], thread: Any) -> ArchiveVerdict:
    """``archived``: Twilio's messages up to ``progress.through``, oldest first; ``thread``: a chat thread client."""
    verdict = ArchiveVerdict()
    if progress.state != LINKED:
        verdict.problems.append(f"archive not finished (state {progress.state})")
        return verdict
    metadata = store.metadata(conversation_sid, "jsonl")
    page = store.metadata(conversation_sid, "html")
    if metadata is None or page is None:
        verdict.problems.append("archive transcript missing in Blob Storage")
        return verdict
    lines = iter(store.lines(conversation_sid))
    expected = 0
    for message in archived:
        expected += 1
        raw = next(lines, None)
        where = f"archived message {message.index}"
        if raw is None:
            verdict.problems.append(f"{where} ({message.sid}) missing in the transcript")
            continue
        verdict.archived += 1
        try:
            line = json.loads(raw)
        except ValueError:
            verdict.problems.append(f"{where}: transcript line is not JSON")
            continue
        if (line.get("index"), line.get("twilioMessageSid")) != (message.index, message.sid):
            verdict.problems.append(f"{where}: transcript has {line.get('index')} ({line.get('twilioMessageSid')})")
        elif line.get("contentHash") != content_hash(message) or line_hash(line) != content_hash(message):
            verdict.problems.append(f"{where}: content differs from Twilio")
        for item in line.get("media") or []:
            if not store.container.get_blob_client(str(item.get("sid"))).exists():
                verdict.problems.append(f"{where}: media {item.get('sid')} missing in Blob Storage")
    extra = sum(1 for _ in lines)
    if extra:
        verdict.archived += extra
        verdict.problems.append(f"the transcript has {extra} lines Twilio does not")
    for name, meta in (("JSON-lines", metadata), ("HTML", page)):
        if meta.get("messages") != str(expected) or meta.get("generation") != str(progress.generation):
            verdict.problems.append(f"{name} transcript holds {meta.get('messages')} messages "
                                    f"(generation {meta.get('generation')}), Twilio {expected}")
    links = [m for m in thread.list_messages(results_per_page=200) if is_link(m, conversation_sid)]
    if len(links) != 1:
        verdict.problems.append(f"{len(links)} archive link messages in the thread, expected 1")
    elif (links[0].metadata or {}).get("twilioArchiveMessages") != str(expected):
        verdict.problems.append(f"the link message says {(links[0].metadata or {}).get('twilioArchiveMessages')} "
                                f"archived messages, Twilio {expected}")
    return verdict
