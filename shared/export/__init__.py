"""The export engine: Twilio conversation history into ACS chat threads, exactly once, at ACS's rate limit.

``ConversationExporter.export_conversation(sid, deadline=...)`` copies one conversation
slice by slice (the queue-triggered Functions call it); ``ExportRunner.run`` keeps many
conversations in flight in one process (the CLI and the benchmark). See docs/export.md.
"""

from __future__ import annotations

from .conversation import ConversationExporter, ExportOutcome
from .engine import ExportEngine, build_export_engine
from .request import MigrationRequest
from .runner import ExportRunner, Progress, RunReport

__all__ = [
    "ConversationExporter",
    "ExportEngine",
    "ExportOutcome",
    "ExportRunner",
    "MigrationRequest",
    "Progress",
    "RunReport",
    "build_export_engine",
]
