"""Where a process's CPU goes: py-spy's collapsed stacks (``--format raw``, idle left out) in a few buckets.

Two views of the same samples, each summing to 100 %:

- **layer**: the innermost frame that belongs to a known layer (TLS, HMAC signing, JSON and SDK
  models, HTTP client, azure-core pipeline, threads and locks, ...): what the CPU is spent on;
- **activity**: the innermost frame of a known caller (ACS sends, Table writes, Twilio reads, identities,
  pacing, ...): what the CPU is spent for.

    .venv/bin/python -m bench.profile FILE.raw
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# (bucket, fragments of py-spy's "function (file:line)"); per sample, innermost frame first, the first match wins.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("TLS", ("(ssl.py",)),
    ("HMAC, hashing, JWT", ("(hmac.py", "hashlib", "_authentication.py", "(jwt/", "hmac_", "(base64.py")),
    ("JSON and SDK models", ("(json/", "_serialization.py", "_model_base.py", "_deserialize", "_serialize")),
    ("email parsing, azure-core rest (multipart batches, HTTP headers)",
     ("(email/", "core/rest/", "_pipeline_transport_rest_shared")),
    ("HTTP client (requests, urllib3, http.client, socket)", ("(requests/", "(urllib3/", "(http/client.py",
                                                              "(socket.py", "(urllib/", "shared/http_session.py")),
    ("azure-core pipeline", ("(core/",)),
    ("logging", ("(logging/",)),
    ("threads, locks, queues", ("(threading.py", "(queue.py", "(concurrent/")),
    ("dates", ("(datetime", "_strptime", "dateutil", "isodate", "(_pydatetime")),
    ("interpreter start, imports", ("<frozen importlib", "<frozen zipimport")),
)
ACTIVITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Table writes and reads", ("(tables/", "(shared/state/")),
    ("ACS identities and tokens", ("(identity/", "shared/export/people.py", "shared/acs_users.py")),
    ("ACS sends and thread calls", ("(chat/", "shared/export/acs_chat.py")),
    ("Twilio reads", ("(twilio/", "shared/export/source.py", "shared/export/twilio_client.py")),
    ("pacing and send slots", ("shared/export/pacing.py",)),
    ("prefetch hand-off", ("shared/export/prefetch.py",)),
    ("exporter bookkeeping", ("(shared/",)),
    ("interpreter start, imports", ("<frozen importlib", "<frozen zipimport")),
)


# frames of the shared HTTP session count for the caller that made the request, not as bookkeeping
_NOT_AN_ACTIVITY = ("shared/http_session.py",)


def _bucket(frames: list[str], table: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    for frame in frames:
        if table is ACTIVITIES and any(f in frame for f in _NOT_AN_ACTIVITY):
            continue
        for name, fragments in table:
            if any(f in frame for f in fragments):
                return name
    return "other"


def summarize(path: str | Path) -> dict[str, Counter[str]]:
    """Samples per layer and per activity from a py-spy raw file."""
    layers: Counter[str] = Counter()
    activities: Counter[str] = Counter()
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = list(reversed(stack.split(";")[1:]))  # innermost first; the first given is the thread
        layers[_bucket(frames, LAYERS)] += int(count)
        activities[_bucket(frames, ACTIVITIES)] += int(count)
    return {"layer": layers, "activity": activities}


def show(path: str | Path) -> str:
    lines = []
    for view, counts in summarize(path).items():
        total = sum(counts.values()) or 1
        parts = ", ".join(f"{name} {n / total:.0%}" for name, n in counts.most_common())
        lines.append(f"by {view} ({total} samples): {parts}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(show(sys.argv[1]))
