"""``python -m emulators.host --app function_app:app``: serve a Functions app like the host would.

Prints one JSON ready line (url, keys, functions) on stdout, then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

from .hostjson import HostJsonError
from .loader import AppLoadError
from .server import LocalHost


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulators.host", description=__doc__)
    parser.add_argument("--app", default="function_app:app", help="module[:attribute] holding the FunctionApp")
    parser.add_argument("--app-dir", default=None, help="folder put first on sys.path (default: the current one)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host-json", default=None, help="default: host.json in --app-dir if there is one")
    parser.add_argument("--settings", default=None, help="local.settings.json whose Values fill unset env vars")
    parser.add_argument("--function-key", default=None)
    parser.add_argument("--admin-key", default=None)
    parser.add_argument("--eventgrid-key", default=None, help="Event Grid webhook system key (default: function key)")
    parser.add_argument("--no-queues", action="store_true", help="do not pump storage queues")
    parser.add_argument("--processing-visibility", type=float, default=600.0, metavar="SECONDS",
                        help="how long a received queue message stays hidden while its function runs "
                             "(the extension's 10 minutes by default; lower it to redeliver sooner after a kill)")
    parser.add_argument("--verbose", action="store_true", help="log every invocation on stderr")
    return parser.parse_args(argv)


def apply_local_settings(path: Path) -> None:
    """Copy ``Values`` from a local.settings.json into the environment where not already set, like Core Tools."""
    values = json.loads(path.read_text(encoding="utf-8")).get("Values") or {}
    for name, value in values.items():
        os.environ.setdefault(str(name), str(value))


def build_host(args: argparse.Namespace) -> LocalHost:
    """The LocalHost the arguments describe; raises on a bad app, host.json or setting."""
    app_dir = Path(args.app_dir or os.getcwd()).resolve()
    host_json = Path(args.host_json) if args.host_json else app_dir / "host.json"
    if args.settings:
        apply_local_settings(Path(args.settings))
    return LocalHost(
        args.app,
        host=args.host,
        port=args.port,
        host_json=host_json if (args.host_json or host_json.exists()) else None,
        function_key=args.function_key,
        admin_key=args.admin_key,
        eventgrid_key=args.eventgrid_key,
        queues=not args.no_queues,
        app_dir=app_dir,
        processing_visibility=args.processing_visibility,
    )


async def serve(local: LocalHost) -> int:
    """Start, print the ready line, serve until SIGTERM/SIGINT, stop the pumps and the server."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await local.start()
    except Exception as exc:  # noqa: BLE001 - e.g. storage unreachable: one line on stderr, no ready line
        print(f"emulators.host: could not start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    try:
        print(json.dumps(local.ready_info()), flush=True)
        await stop.wait()
    finally:
        await local.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        local = build_host(args)
    except (AppLoadError, HostJsonError, LookupError, ValueError, OSError) as exc:
        print(f"emulators.host: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(serve(local))


if __name__ == "__main__":
    sys.exit(main())
