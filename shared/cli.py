"""``acs-migrate`` / ``python -m shared.cli``: plan, migrate, status and verify the history export;
``doctor``, the configuration check before a cutover (``shared/doctor``, docs/cutover.md);
``scan`` finds Twilio SDK uses in a source tree (``shared/scan``, docs/scan.md; needs no settings).

A composition root like ``function_app.py``: settings come from the environment through
``load_settings`` (via ``AppContainer``), nothing else reads it. Exit codes (``outcomes.ExitCode``): 0 success,
1 a conversation failed or was left unfinished (or verify found a difference, or a doctor check failed),
2 bad settings or arguments, 3 nothing failed but some conversations are not migratable, 130 stopped with
Ctrl-C (a rerun resumes).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from .archive_cutoff import MAX_KEEP_NEWEST, ArchiveCutoff
from .container import AppContainer
from .errors import BadRequestError, NotFoundError
from .export import ExportEngine, ExportOutcome, MigrationRequest, RunReport
from .export import Progress as RunProgress
from .export.outcomes import ExitCode, ExportStatus
from .export.plan import plan_run
from .export.source import SourceConversation
from .inputs import parse_instant
from .scan.cli import add_scan_parser, run_scan


def _since(value: str) -> datetime:
    try:
        moment = parse_instant(value, what="--since", date_only=True)
    except BadRequestError as error:
        raise argparse.ArgumentTypeError(error.message) from None
    assert moment is not None
    return moment


def _count(value: str) -> int:
    if not value.isdigit() or int(value) > MAX_KEEP_NEWEST:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number from 0 to {MAX_KEEP_NEWEST}")
    return int(value)


def _cutoff(args: argparse.Namespace) -> ArchiveCutoff | None:
    before, keep = getattr(args, "archive_before", None), getattr(args, "archive_keep_newest", None)
    return ArchiveCutoff(before=before, keep_newest=keep) if before is not None or keep is not None else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="acs-migrate", description="Copy Twilio chat history into ACS threads.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("plan", "what a run would copy and the least time ACS's limits allow; writes nothing"),
                       ("migrate", "copy the history (rerun to resume or to pick up later changes)")):
        command = sub.add_parser(name, help=text, description=text)
        command.add_argument("--service", action="append", default=[], metavar="IS...",
                             help="only this Conversations service (repeatable)")
        command.add_argument("--conversation", action="append", default=[], metavar="CH...",
                             help="only this conversation or channel (repeatable)")
        command.add_argument("--since", type=_since, help="only conversations created on or after this date")
        command.add_argument("--include-legacy-public-channels", action="store_true",
                             help="also copy public Programmable Chat channels (invisible to Conversations)")
        cutoff = command.add_mutually_exclusive_group()
        cutoff.add_argument("--archive-before", type=_since, metavar="DATE",
                            help="archive the messages older than DATE instead of copying them (docs/archive.md)")
        cutoff.add_argument("--archive-keep-newest", type=_count, metavar="N",
                            help="archive all but the newest N messages of each conversation")
    status = sub.add_parser("status", help="runs and their counts from Table Storage; with a run id, its "
                                           "failed and not-migratable conversations and why")
    status.add_argument("run", nargs="?", metavar="RUN_ID")
    doctor = sub.add_parser("doctor", help="check the configuration before a cutover: settings, storage and its "
                                           "rights, Twilio, ACS, the JWKS, public URLs (exit 1 if a check fails)")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    replay = sub.add_parser("replay-dead-events", help="dispatch the ACS events Event Grid dead-lettered (an app "
                                                       "outage longer than its 24 h of retries) to the subscribers")
    replay.add_argument("--container", default="eventgrid-deadletter",
                        help="the dead-letter container the postdeploy hook configured (default %(default)s)")
    replay.add_argument("--keep", action="store_true", help="leave the blobs in place after dispatching")
    verify = sub.add_parser("verify", help="compare every migrated conversation with its ACS thread")
    verify.add_argument("--conversation", action="append", default=[], metavar="CH...")
    add_scan_parser(sub)
    return parser


def _request(args: argparse.Namespace, *, dry_run: bool = False) -> MigrationRequest:
    return MigrationRequest(services=tuple(args.service), conversations=tuple(args.conversation), since=args.since,
                            dry_run=dry_run, include_legacy_public_channels=args.include_legacy_public_channels,
                            archive=_cutoff(args))


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


# ---------------------------------------------------------------------------------------------- plan
def cmd_plan(console: Console, engine: ExportEngine, args: argparse.Namespace) -> int:
    conversations = engine.runner.select(_request(args, dry_run=True))
    cutoff = _cutoff(args)
    planned = plan_run(engine.source, conversations, engine.settings.export, cutoff=cutoff)
    table = Table(title="Export plan")
    columns = ["conversation", "source", "topic", "participants", "messages", "media bytes", "at least"]
    if cutoff is not None:
        columns += ["archived", "at least, with cutoff"]
    for column in columns:
        table.add_column(column, justify="right" if column in ("participants", "messages", "media bytes",
                                                               "archived") else "left")
    for item in planned.conversations:
        conv = item.conversation
        note = "" if item.migratable else " (over 250: not migratable)"
        row = [conv.sid, conv.source, conv.topic[:40], f"{item.participants}{note}", str(item.messages),
               str(item.media_bytes), _duration(item.minimum_seconds)]
        if cutoff is not None:
            row += [str(item.archived), _duration(item.minimum_seconds_archived or 0.0)]
        table.add_row(*row)
    console.print(table)
    console.print(
        f"{len(planned.conversations)} conversations, {planned.participants} participants, "
        f"{planned.messages} messages, {planned.media_bytes} media bytes; "
        f"ACS's limits imply at least {_duration(planned.minimum_seconds)} "
        f"with {engine.settings.export.concurrency} conversations in flight."
    )
    floor = planned.minimum_seconds_archived
    if cutoff is not None and floor is not None:
        console.print(
            f"Floor without the archive cutoff: {_duration(planned.minimum_seconds)}; with it "
            f"({cutoff.describe()}): {_duration(floor)}, {planned.archived} messages archived instead of copied."
        )
    return ExitCode.OK


# ---------------------------------------------------------------------------------------------- migrate
class RichProgress(RunProgress):
    """One bar for the run, one per conversation in flight."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._run = progress.add_task("run", total=None)
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def planned(self, conversations: list[tuple[SourceConversation, int]]) -> None:
        self._progress.update(self._run, total=sum(n for _, n in conversations) or None,
                              description=f"run: {len(conversations)} conversations")

    def started(self, conv: SourceConversation, estimate: int) -> None:
        with self._lock:
            self._tasks[conv.sid] = self._progress.add_task(f"{conv.sid} {conv.topic[:24]}", total=estimate or None)

    def advanced(self, conversation_sid: str, messages: int) -> None:
        self._progress.advance(self._run, messages)
        with self._lock:
            task = self._tasks.get(conversation_sid)
        if task is not None:
            self._progress.advance(task, messages)

    def finished(self, outcome: ExportOutcome) -> None:
        with self._lock:
            task = self._tasks.pop(outcome.conversation_sid, None)
        if task is not None:
            self._progress.remove_task(task)
        if outcome.status in (ExportStatus.FAILED, ExportStatus.NOT_MIGRATABLE):
            self._progress.console.print(f"[red]{outcome.conversation_sid}: {outcome.status}: {outcome.reason}")


def cmd_migrate(console: Console, engine: ExportEngine, args: argparse.Namespace) -> int:
    result: dict[str, RunReport | BaseException] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        sink = RichProgress(progress)

        finished = threading.Event()

        def work() -> None:
            try:
                result["report"] = engine.runner.run(_request(args), progress=sink)
            except BaseException as exc:  # handed to the main thread  # noqa: BLE001
                result["error"] = exc
            finally:
                finished.set()

        threading.Thread(target=work, name="migrate", daemon=True).start()
        try:  # an Event, not Thread.join: a join interrupted by Ctrl-C can report the thread finished
            while not finished.wait(0.2):
                pass
        except KeyboardInterrupt:
            progress.console.print("[yellow]Stopping: finishing the messages in flight; a rerun resumes.")
            engine.stop.set()
            finished.wait()
    if "error" in result:
        error = result["error"]
        console.print(f"[red]The run failed: {type(error).__name__}: {error}")
        return ExitCode.FAILED
    report = result["report"]
    assert isinstance(report, RunReport)
    assert report.result is not None
    _print_report(console, report)
    return report.result.exit_code


def _counts_line(counts: dict[str, int]) -> str:
    return (f"{counts.get('planned', 0)} planned, {counts.get('done', 0)} done, {counts.get('failed', 0)} failed, "
            f"{counts.get('not_migratable', 0)} not migratable, {counts.get('messages', 0)} messages")


def _listing(console: Console, title: str, rows: list[tuple[str, str]]) -> None:
    if not rows:
        return
    table = Table(title=title)
    table.add_column("conversation")
    table.add_column("reason")
    for sid, reason in rows:
        table.add_row(sid, reason)
    console.print(table)


def _print_report(console: Console, report: RunReport) -> None:
    archived = f" ({report.archived} archived)" if report.archived else ""
    console.print(f"Run {report.run_id}: {_counts_line(report.counts)} copied{archived} in "
                  f"{_duration(report.seconds)}, {report.throttled} ACS 429s.")
    _listing(console, "Failed", [(o.conversation_sid, o.reason or "") for o in report.failures])
    _listing(console, "Not migratable", [(o.conversation_sid, o.reason or "") for o in report.not_migratable])
    _listing(console, "Unfinished (rerun to resume)", [(o.conversation_sid, o.reason or "") for o in report.unfinished])


# ---------------------------------------------------------------------------------------------- status
def cmd_status(console: Console, container: AppContainer, args: argparse.Namespace) -> int:
    if args.run:
        try:
            view = container.migration_runs.get_run(args.run)
        except NotFoundError as exc:
            console.print(f"[red]{exc.message}")
            return ExitCode.BAD_INPUT
        run = view.run
        console.print(f"Run {run.run_id} ({run.kind}): {run.status}; {_counts_line(run.counts)}"
                      + (f"; {run.error}" if run.error else ""))
        _listing(console, "Failed", [(e.conversation_sid, e.reason or "") for e in view.failures])
        _listing(console, "Not migratable", [(e.conversation_sid, e.reason or "") for e in view.not_migratable])
        return ExitCode.OK
    table = Table(title="Runs")
    for column in ("run", "kind", "status", "created", "planned", "done", "failed", "not migratable", "messages",
                   "media bytes"):
        table.add_column(column)
    for run in container.runs.list_runs(limit=20):
        counts = run.counts
        table.add_row(run.run_id, str(run.kind), str(run.status), f"{run.created_at:%Y-%m-%d %H:%M:%S}",
                      *(str(counts.get(k, 0)) for k in ("planned", "done", "failed", "not_migratable", "messages",
                                                         "media_bytes")))
    console.print(table)
    statuses = Counter(r.status for r in container.conversations.list_conversations())
    console.print("Conversations: " + (", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "none"))
    return ExitCode.OK


# ---------------------------------------------------------------------------------------------- doctor
_STYLES = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "dim"}


def cmd_doctor(console: Console, container: AppContainer, args: argparse.Namespace) -> int:
    doctor = container.doctor
    try:
        report = doctor.run()
    finally:
        doctor.close()
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return 0 if report.ok else 1
    table = Table(title="Configuration check")
    for column in ("check", "result", "what to know or do"):
        table.add_column(column)
    for check in report.checks:
        style = _STYLES[check.status]
        table.add_row(check.name, f"[{style}]{check.status}", escape(check.message))
    console.print(table)
    failed = [c.name for c in report.checks if c.status == "fail"]
    console.print("[green]Ready: no check failed." if report.ok else f"[red]Not ready: {', '.join(failed)} failed.")
    return 0 if report.ok else 1


# ---------------------------------------------------------------------------------------------- replay-dead-events
def cmd_replay_dead_events(console: Console, container: AppContainer, args: argparse.Namespace) -> int:
    from .fanout.replay import DeadLetteredEventReplayer

    replayer = DeadLetteredEventReplayer(container=container.storage.blobs.get_container_client(args.container),
                                         dispatcher=container.fanout.dispatcher)
    report = replayer.replay(keep=args.keep)
    console.print(f"{report.blobs} dead-letter blob(s), {report.events} event(s) dispatched as {report.deliveries} "
                  f"deliver(ies), {report.dropped} malformed event(s) dropped"
                  + ("; blobs kept" if report.kept else "; blobs deleted") + ".")
    return 0


# ---------------------------------------------------------------------------------------------- verify
def cmd_verify(console: Console, engine: ExportEngine, args: argparse.Namespace) -> int:
    table = Table(title="Verify: Twilio vs ACS")
    for column in ("conversation", "thread", "status", "Twilio", "ACS", "archived", "media", "receipts", "names",
                   "opened", "result"):
        table.add_column(column)
    differences = 0
    records = engine.verifier.records(list(args.conversation) or None)
    for record in records:
        verdict = engine.verifier.verify(record)
        differences += 0 if verdict.ok else 1
        result = "[green]same" if verdict.ok else "[red]" + "; ".join(verdict.problems[:3]) + (
            f" (+{len(verdict.problems) - 3} more)" if len(verdict.problems) > 3 else "")
        table.add_row(verdict.conversation_sid, (verdict.thread_id or "-")[:24], verdict.status,
                      str(verdict.twilio_messages), str(verdict.acs_messages), str(verdict.archived),
                      str(verdict.media), str(verdict.receipts), str(verdict.names), str(verdict.attachments), result)
    console.print(table)
    console.print(f"{len(records)} conversations checked, {differences} with differences.")
    skipped = engine.verifier.attachments_skipped_because
    if skipped:
        console.print(f"[yellow]Attachments were not opened through /api/attachments: {skipped}.")
    return ExitCode.FAILED if differences else ExitCode.OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 200)  # logs and pipes get whole table rows
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.ERROR)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)  # "pool is full": harmless, noisy
    if args.command == "scan":
        return run_scan(args, console)
    container = AppContainer.from_environ(os.environ)
    if args.command == "doctor":  # reports bad settings itself, with everything else it can check
        return cmd_doctor(console, container, args)
    if container.settings_error is not None:
        console.print(f"[red]{container.settings_error}")
        return ExitCode.BAD_INPUT
    if args.command == "status":
        return cmd_status(console, container, args)
    if args.command == "replay-dead-events":
        return cmd_replay_dead_events(console, container, args)
    engine = container.export_engine
    try:
        if args.command == "plan":
            return cmd_plan(console, engine, args)
        if args.command == "migrate":
            return cmd_migrate(console, engine, args)
        return cmd_verify(console, engine, args)
    except LookupError as exc:  # a conversation or channel Twilio does not have
        console.print(f"[red]{exc}")
        return ExitCode.FAILED
    finally:
        engine.close()


if __name__ == "__main__":
    sys.exit(main())
