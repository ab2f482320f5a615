"""``python -m emulators.acs``: start the HTTPS stand-in and print one JSON ready line."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import ssl
import sys
from pathlib import Path

from aiohttp import web

from . import ADMIN_PREFIX
from .app import build_app
from .config import Settings
from .emulator import Emulator
from .faults import FaultSpecError, parse_spec
from .tls import prepare_tls


def parse_args(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m emulators.acs", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--time-scale", type=float, default=1.0, help="multiplies every rate-limit window")
    parser.add_argument("--seed", type=int, default=0, help="seeds ids, keys and fault decisions")
    parser.add_argument("--faults", default=None, help="fault spec, see docs/emulators/acs.md")
    parser.add_argument("--event-sink", default=None, help="URL that receives Event Grid batches")
    parser.add_argument("--event-schema", choices=("eventgrid", "cloudevents"), default="eventgrid")
    parser.add_argument("--event-batch-size", type=int, default=10)
    parser.add_argument("--event-max-attempts", type=int, default=30)
    parser.add_argument("--cert-dir", type=Path, default=None, help="reuse (or create) the CA here")
    parser.add_argument("--no-limits", action="store_true", help="turn the service rate limits off")
    parser.add_argument("--record-limit", type=int, default=50_000, help="exchanges kept for /__admin/exchanges")
    args = parser.parse_args(argv)
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    try:
        parse_spec(args.faults)
    except FaultSpecError as exc:
        parser.error(f"--faults: {exc}")
    return Settings(
        host=args.host,
        port=args.port,
        time_scale=args.time_scale,
        seed=args.seed,
        faults=args.faults,
        event_sink=args.event_sink,
        event_schema=args.event_schema,
        event_batch_size=args.event_batch_size,
        event_max_attempts=args.event_max_attempts,
        cert_dir=args.cert_dir,
        limits=not args.no_limits,
        record_limit=args.record_limit,
    )


async def serve(settings: Settings) -> None:
    extra = () if settings.host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::") else (settings.host,)
    tls = prepare_tls(settings.cert_dir, extra)
    sink_ssl = ssl.create_default_context(cafile=str(tls.bundle_file))
    emu = Emulator(settings, sink_ssl=sink_ssl)
    runner = web.AppRunner(build_app(emu), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=tls.context, backlog=1024)
    await site.start()
    port = settings.port
    for address in runner.addresses:
        port = int(address[1])
        break
    host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0", "localhost") else settings.host
    endpoint = f"https://{host}:{port}"
    ready = {
        "service": "acs",
        "endpoint": endpoint,
        "connection_string": f"endpoint={endpoint}/;accesskey={emu.access_key_b64}",
        "access_key": emu.access_key_b64,
        "ca_bundle": str(tls.bundle_file),
        "ca_cert": str(tls.ca_file),
        "admin": endpoint + ADMIN_PREFIX,
        "resource_id": emu.ids.resource_id,
        "port": port,
        "time_scale": settings.time_scale,
        "seed": settings.seed,
        "event_sink": settings.event_sink,
        "event_schema": settings.event_schema,
        "limits": settings.limits,
    }
    print(json.dumps(ready), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
