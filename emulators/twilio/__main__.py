"""``python -m emulators.twilio``: serve the stand-in until SIGTERM.

Prints exactly one JSON line on stdout once it accepts connections, with ``url``,
``account_sid``, ``auth_token``, ``api_key_sid`` and ``api_key_secret``. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web

from . import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from .app import build_app, ready_info
from .context import EMULATOR, Settings
from .faults import parse_fault_spec


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m emulators.twilio", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (reported in url)")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--api-key", action="append", default=[], metavar="SK...:SECRET",
                        help="accept this API key (repeatable); one is generated from the seed otherwise")
    parser.add_argument("--seed", type=int, default=0, help="seed of SIDs, data choices and faults")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="divide every rate window and the media link lifetime by this factor")
    parser.add_argument("--faults", default="", help="fault spec, e.g. '429=0.05,500=0.02,drop=0.01,latency=5ms+10ms'")
    parser.add_argument("--record", action="store_true", help="record every exchange for /_admin/exchanges")
    parser.add_argument("--page-size-over-max", choices=("clamp", "error"), default="clamp",
                        help="PageSize above 100: clamp to 100 (default) or answer 400")
    parser.add_argument("--media-ttl", type=float, default=300.0, help="lifetime of direct media links, seconds")
    parser.add_argument("--public-url", default=None,
                        help="base URL to put in links instead of the request's own host (e.g. behind a proxy)")
    parser.add_argument("--state-file", default=None,
                        help="load this snapshot at start (if it exists) and write the state back on shutdown")
    parser.add_argument("--allow-remote-webhooks", action="store_true",
                        help="deliver webhooks to non-loopback URLs too (default: loopback targets only)")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    if not args.account_sid.startswith("AC") or len(args.account_sid) != 34:
        parser.error("--account-sid must be AC followed by 32 hex characters")
    try:
        faults = parse_fault_spec(args.faults)
    except ValueError as exc:
        parser.error(f"--faults: {exc}")
    keys = {}
    for item in args.api_key:
        sid, sep, secret = item.partition(":")
        if not sep or not sid.startswith("SK"):
            parser.error("--api-key must look like SK...:secret")
        keys[sid] = secret
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return Settings(host=args.host, port=args.port, account_sid=args.account_sid, auth_token=args.auth_token,
                    api_keys=keys, seed=args.seed, time_scale=args.time_scale, faults=faults, record=args.record,
                    page_size_over_max=args.page_size_over_max, media_ttl=args.media_ttl,
                    public_url=args.public_url, state_file=args.state_file,
                    allow_remote_webhooks=args.allow_remote_webhooks)


async def serve(settings: Settings) -> None:
    app = build_app(settings)
    state_file = Path(settings.state_file) if settings.state_file else None
    if state_file is not None and state_file.exists():
        app[EMULATOR].store.load(json.loads(state_file.read_text()))
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, backlog=1024)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    port = sockets[0].getsockname()[1] if sockets else settings.port
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    print(json.dumps(ready_info(settings, f"http://{host}:{port}")), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if state_file is not None:
            tmp = state_file.with_suffix(state_file.suffix + ".tmp")
            tmp.write_text(json.dumps(app[EMULATOR].store.snapshot()))
            tmp.replace(state_file)


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
