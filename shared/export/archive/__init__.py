"""History beyond ACS's floor: old messages go to a transcript in Blob Storage instead of the thread.

A run may set an ``ArchiveCutoff``. The first slice of a conversation that has copied
nothing yet fixes its boundary (``through``: the last archived Twilio index) in the
conversation record; messages up to it are written to ``archive/<sid>/transcript.jsonl``
and ``.html`` (staged blocks, one commit), then one link message is sent first in the
thread, and the copy goes on from ``through + 1``. See docs/archive.md.
"""

from __future__ import annotations

from ...archive_cutoff import ArchiveCutoff, archive_boundary

__all__ = ["ArchiveCutoff", "archive_boundary"]
