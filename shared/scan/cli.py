"""``acs-migrate scan PATH``: the subcommand's arguments and what it prints.

Exit codes: 0 the scan ran (findings or not); 1 findings were found and ``--fail-on-findings`` was
given; 2 bad arguments (a path that does not exist, an output file that cannot be written).
Notes about files that could not be read never change the exit code.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console

FORMATS = ("table", "json", "sarif", "markdown")


def add_scan_parser(sub: Any) -> None:
    text = "find every Twilio SDK use in a source tree and show what replaces it in ACS (never runs the code)"
    scan = sub.add_parser("scan", help=text, description=text, epilog=(
        "exit codes: 0 the scan ran (findings or not); 1 findings and --fail-on-findings; 2 bad arguments. "
        "Files that cannot be read are notes and never change the exit code. See docs/scan.md."))
    scan.add_argument("path", type=Path, help="folder or file to scan")
    scan.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    scan.add_argument("--output", type=Path, help="write the report to this file instead of standard output")
    scan.add_argument("--fail-on-findings", action="store_true", help="exit 1 when any Twilio use is found")
    scan.add_argument("--include-vendored", action="store_true",
                      help="also scan node_modules, build output, vendored and virtual-environment folders")
    scan.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                      help="skip paths matching this glob (relative path or name; repeatable)")
    scan.add_argument("--max-file-bytes", type=int, default=2_000_000, metavar="N",
                      help="skip files larger than this with a note (default: 2000000)")


def run_scan(args: argparse.Namespace, console: Console) -> int:
    from .engine import scan_path
    from .render import to_json, to_markdown, to_sarif
    from .table import print_table
    from .walk import WalkOptions

    root: Path = args.path
    if not root.exists():
        console.print(f"[red]Cannot scan {root}: no such file or folder.")
        return 2
    if args.max_file_bytes <= 0:
        console.print("[red]--max-file-bytes must be a positive number of bytes.")
        return 2
    report = scan_path(root, WalkOptions(include_vendored=args.include_vendored, excludes=tuple(args.exclude),
                                         max_file_bytes=args.max_file_bytes))
    if args.format == "table":
        if args.output is None:
            print_table(report, console)
            text = None
        else:
            buffer = io.StringIO()
            print_table(report, Console(file=buffer, width=160, no_color=True, highlight=False))
            text = buffer.getvalue()
    elif args.format == "markdown":
        text = to_markdown(report)
    else:
        text = json.dumps(to_sarif(report) if args.format == "sarif" else to_json(report), indent=2,
                          ensure_ascii=False) + "\n"
    if text is not None:
        if args.output is None:
            console.file.write(text)
        else:
            try:
                args.output.write_text(text, encoding="utf-8")
            except OSError as exc:
                console.print(f"[red]Cannot write {args.output}: {exc.strerror or exc}.")
                return 2
            console.print(f"Wrote {len(report.findings)} findings ({args.format}) to {args.output}.")
    return 1 if args.fail_on_findings and report.findings else 0
