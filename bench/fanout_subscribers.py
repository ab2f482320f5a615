"""The fan-out bench's subscribers, in a process of their own (so their CPU is not counted as the app's).

``python -m bench.fanout_subscribers SECRET`` starts three loopback subscribers (``/a``, ``/b``,
``/c``, from ``harness/subscriber.py``: signatures checked like real consumers) and a stats
server, prints one JSON ready line ``{"urls": [...], "stats": url}`` and serves until killed.
``GET {stats}`` answers ``{"/a": [[key, arrival time, signature ok], ...], ...}`` for the
requests answered 2xx; key is the message id (Twilio ``MessageSid`` or CloudEvents
``data.messageId``).
"""

from __future__ import annotations

import json
import sys
import threading
from contextlib import ExitStack
from http.server import ThreadingHTTPServer

from harness.loopback import LoopbackHandler
from harness.subscriber import Received, Subscriber, running_subscriber

PATHS = ("/a", "/b", "/c")


def key_of(received: Received) -> str:
    return str(received.fields["MessageSid"]) if received.fields else str(received.json()["data"]["messageId"])


def main(secret: str) -> int:
    with ExitStack() as stack:
        subs: list[Subscriber] = [stack.enter_context(running_subscriber(secret, path=p)) for p in PATHS]

        class Stats(LoopbackHandler):
            def do_GET(self) -> None:
                view = {p: [[key_of(r), r.at, r.signature_ok] for r in s.delivered()]
                        for p, s in zip(PATHS, subs, strict=True)}
                self.send_json(json.dumps(view).encode())

        server = ThreadingHTTPServer(("127.0.0.1", 0), Stats)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(json.dumps({"urls": [s.url for s in subs], "stats": f"http://127.0.0.1:{server.server_address[1]}/"}),
              flush=True)
        threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
