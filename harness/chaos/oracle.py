"""The chaos oracle: every Twilio message exactly once in its ACS thread, in order, with author, content,
metadata, media and read horizons, and the runs' counts matching; one named check per property."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from harness.chaos.admin import AcsAdmin
from harness.chaos.report import ChaosReport

MAX_RECEIPT_PARTICIPANTS = 20  # the engine sends read receipts on threads of at most 20 participants


def _identity_of(participant: dict[str, Any]) -> str:
    if participant.get("identity") or not participant.get("messaging_binding"):
        return str(participant.get("identity") or participant["sid"])
    binding = participant["messaging_binding"]
    address = str(binding.get("address") or binding.get("projected_address") or "")
    kind = str(binding.get("type") or "sms").lower()
    if address.startswith("whatsapp:"):
        kind = "whatsapp"
    kind = kind if kind in ("sms", "whatsapp") else "sms"
    return address if address.startswith(f"{kind}:") else f"{kind}:{address}"


def _iso_epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).timestamp()


class MigrationCheck:
    """The oracle, one named check per property; problems go to ``report.problems``."""

    def __init__(self, container: Any, acs: AcsAdmin, snapshot: dict[str, Any], report: ChaosReport) -> None:
        self.container = container
        self.acs = acs
        self.media_by_sid = {m["sid"]: m for m in snapshot["media"]}
        self.conversations = snapshot["conversations"]
        self.report = report
        self.problems = report.problems
        self._acs_ids: dict[str, str | None] = {}

    def acs_user(self, identity: str) -> str | None:
        if identity not in self._acs_ids:
            found = self.container.identity_map.find_identity(identity)
            self._acs_ids[identity] = found.acs_user_id if found else None
        return self._acs_ids[identity]

    # ------------------------------------------------------------------ one conversation
    def check_conversation(self, conv: dict[str, Any]) -> None:
        sid = conv["sid"]
        twilio_messages = sorted(conv["messages"], key=lambda m: m["index"])
        self.report.twilio_messages += len(twilio_messages)
        record = self.container.conversations.find_conversation(sid)
        if record is None or record.thread_id is None:
            self.problems.append(f"{sid}: never migrated")
            self.report.lost += len(twilio_messages)
            return
        if record.status != "done":
            self.problems.append(f"{sid}: status {record.status} ({record.last_error})")
        thread = self.acs.thread(record.thread_id)
        copies = [m for m in thread["messages"] if m["type"] in ("text", "html") and not m.get("deletedOn")
                  and (m.get("metadata") or {}).get("twilioConversationSid") == sid]
        by_key: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for copy in copies:  # arrival order
            meta = copy["metadata"]
            by_key.setdefault((meta["twilioMessageSid"], int(meta.get("twilioPart", "1"))), []).append(copy)
        self.check_no_duplicates(sid, by_key)
        self.check_order(sid, copies)
        self.check_no_strays(sid, by_key, {m["sid"] for m in twilio_messages})
        last_id_at: list[tuple[int, str]] = []
        for message in twilio_messages:
            parts = self.check_parts(sid, message, by_key)
            if not parts:
                continue
            last_id_at.append((message["index"], parts[-1]["id"]))
            where = f"{sid} message {message['index']}"
            identity = self.check_author(where, conv["participants"], message, parts[0])
            self.check_metadata(where, message, parts[0]["metadata"], identity)
            text = "".join(p["content"]["message"] for p in parts)
            self.check_content(where, message, text)
            self.check_media(where, message, parts[0]["metadata"], text)
        self.check_read_horizons(sid, conv["participants"], thread, last_id_at)

    def check_no_duplicates(self, sid: str, by_key: dict[tuple[str, int], list[dict[str, Any]]]) -> None:
        self.report.duplicated += sum(len(v) - 1 for v in by_key.values())
        for key, found in by_key.items():
            if len(found) > 1:
                self.problems.append(f"{sid}: {key[0]} part {key[1]} is in ACS {len(found)} times")

    def check_order(self, sid: str, copies: list[dict[str, Any]]) -> None:
        order = [(int(c["metadata"]["twilioIndex"]), int(c["metadata"].get("twilioPart", "1"))) for c in copies]
        seen_order = [k for n, k in enumerate(order) if k not in order[:n]]
        if seen_order != sorted(seen_order):
            self.problems.append(f"{sid}: ACS order differs from Twilio's index order")

    def check_no_strays(self, sid: str, by_key: dict[tuple[str, int], list[dict[str, Any]]], known: set[str]) -> None:
        strays = {k[0] for k in by_key if k[0] not in known}
        if strays:
            self.problems.append(f"{sid}: {len(strays)} ACS message(s) for Twilio messages that do not exist")

    def check_parts(self, sid: str, message: dict[str, Any], by_key: dict[tuple[str, int], list[dict[str, Any]]]
                    ) -> list[dict[str, Any]]:
        """Every part of the message in ACS; the first copy of each (counted as checked when all are there)."""
        where = f"{sid} message {message['index']}"
        first = by_key.get((message["sid"], 1))
        if not first:
            self.report.lost += 1
            self.problems.append(f"{where}: missing in ACS")
            return []
        count = int(first[0]["metadata"].get("twilioPartCount", "1"))
        parts: list[dict[str, Any]] = []
        for part in range(1, count + 1):
            got = by_key.get((message["sid"], part))
            if not got:
                self.problems.append(f"{where}: part {part} of {count} missing")
                self.report.lost += 1
                return parts
            parts.append(got[0])
        self.report.messages_checked += 1
        return parts

    def check_author(self, where: str, participants: dict[str, Any], message: dict[str, Any],
                     first: dict[str, Any]) -> str:
        participant = participants.get(message.get("participant_sid") or "")
        if participant is None:
            participant = next((p for p in participants.values() if p.get("identity") == message["author"]
                                or (p.get("messaging_binding") or {}).get("address") == message["author"]), None)
        identity = _identity_of(participant) if participant else str(message["author"])
        sender = (first.get("senderCommunicationIdentifier") or {}).get("rawId")
        if sender is None or sender != self.acs_user(identity):
            self.problems.append(f"{where}: sent as {sender}, not as {identity!r}")
        return identity

    def check_metadata(self, where: str, message: dict[str, Any], meta: dict[str, Any], identity: str) -> None:
        expected_meta = {"migratedFrom": "twilio", "twilioMessageSid": message["sid"],
                         "twilioIndex": str(message["index"]), "originalAuthor": identity}
        for name, value in expected_meta.items():
            if meta.get(name) != value:
                self.problems.append(f"{where}: metadata {name} is {meta.get(name)!r}, expected {value!r}")
        if abs(_iso_epoch(meta.get("originalDateCreated", "1970-01-01T00:00:00Z")) - message["date_created"]) > 1:
            self.problems.append(f"{where}: originalDateCreated {meta.get('originalDateCreated')!r}")
        attributes = message.get("attributes") or "{}"
        if attributes.strip() not in ("", "{}") and meta.get("twilioAttributesTruncated") != "true" \
                and meta.get("twilioAttributes") != attributes:
            self.problems.append(f"{where}: twilioAttributes differ")

    def check_content(self, where: str, message: dict[str, Any], text: str) -> None:
        body = message.get("body") or ""
        if body and not text.startswith(body):
            self.problems.append(f"{where}: content does not start with the Twilio body")
        if not body and not message["media_sids"] and text != "(empty message)":
            self.problems.append(f"{where}: empty message copied as {text[:40]!r}")

    def check_media(self, where: str, message: dict[str, Any], meta: dict[str, Any], text: str) -> None:
        import hashlib

        blobs = self.container.media.container
        shared = {item.get("id") for item in json.loads(meta.get("fileSharingMetadata") or "[]")}
        for media_sid in message["media_sids"]:
            media = self.media_by_sid.get(media_sid)
            if media is None:
                continue
            data = base64.b64decode(media["data"])
            blob = blobs.get_blob_client(media_sid)
            if not blob.exists():
                self.problems.append(f"{where}: media {media_sid} not in the blob container")
                continue
            stored = blob.download_blob().readall()
            if hashlib.sha256(stored).digest() != hashlib.sha256(data).digest():
                self.problems.append(f"{where}: media {media_sid} bytes differ")
            if blob.get_blob_properties().content_settings.content_type != media["content_type"]:
                self.problems.append(f"{where}: media {media_sid} content type differs")
            if media_sid not in shared:
                self.problems.append(f"{where}: fileSharingMetadata lacks {media_sid}")
            if f"({media['content_type']}, {len(data)} bytes)" not in text:
                self.problems.append(f"{where}: no attachment line for {media_sid}")
            self.report.media_checked += 1

    def check_read_horizons(self, sid: str, participants: dict[str, Any], thread: dict[str, Any],
                            last_id_at: list[tuple[int, str]]) -> None:
        """The latest copied message at or below each participant's last read index carries their receipt."""
        if len(participants) > MAX_RECEIPT_PARTICIPANTS:
            return
        receipts = {r["senderCommunicationIdentifier"]["rawId"]: r["chatMessageId"]
                    for r in thread.get("readReceipts", [])}
        for participant in participants.values():
            horizon = participant.get("last_read_message_index")
            if horizon is None or horizon < 0:
                continue
            expected = next((mid for index, mid in reversed(last_id_at) if index <= horizon), None)
            if expected is None:
                continue
            user = self.acs_user(_identity_of(participant))
            if receipts.get(user or "") != expected:
                self.problems.append(f"{sid}: read horizon {horizon} of {_identity_of(participant)!r} not applied")
            else:
                self.report.horizons_checked += 1

    # ------------------------------------------------------------------ the runs
    def check_run_counts(self, runs: list[dict[str, Any]]) -> None:
        """Every run planned and copied every conversation; one run alone counts every message."""
        total = len(self.conversations)
        for run in runs:
            counts = run["counts"]
            self.report.counts = counts
            expected_counts = {"planned": total, "done": total, "failed": 0, "notMigratable": 0}
            if len(runs) == 1:  # concurrent runs each count what their conversations gained while they had them
                expected_counts["messages"] = self.report.twilio_messages
            elif not 0 <= counts.get("messages", 0) <= self.report.twilio_messages:
                self.problems.append(f"run {run['id']} counts {counts.get('messages')} messages of "
                                     f"{self.report.twilio_messages}")
            for name, value in expected_counts.items():
                if counts.get(name) != value:
                    self.problems.append(f"run {run['id']} counts: {name} is {counts.get(name)}, expected {value}")
            if run["status"] != "succeeded":
                self.problems.append(f"run {run['id']} status {run['status']}: {run.get('error')}")


def check_migration(container: Any, acs: AcsAdmin, snapshot: dict[str, Any], runs: list[dict[str, Any]],
                    report: ChaosReport) -> None:
    """Every Twilio message exactly once in its ACS thread, in order, with author, content, metadata and
    media; every read horizon applied; the runs' counts match. Problems go to ``report.problems``."""
    check = MigrationCheck(container, acs, snapshot, report)
    for conv in check.conversations:
        check.check_conversation(conv)
    check.check_run_counts(runs)
