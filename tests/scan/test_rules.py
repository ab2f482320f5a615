"""The rules data file is consistent with the symbol model and says what each mapping needs."""

from __future__ import annotations

import re

from shared.scan.model import AREAS
from shared.scan.rules import load_rulebook, load_symbols

PREFIXES = ("npm:", "import:", "pypi:", "pyimport:", "rest:", "unmapped:", "maven:", "pod:", "nuget:", "cdn:")


def test_every_symbol_key_names_a_member_of_the_model() -> None:
    model = load_symbols()
    unknown = []
    for rule in load_rulebook().rules:
        for key in rule.match:
            if key.startswith(PREFIXES):
                continue
            bare = re.sub(r"\{\w+\}$", "", key)
            cut = max(bare.rfind("#"), bare.rfind("@"), bare.rfind("."))
            owner, kind, member = bare[:cut], bare[cut], bare[cut + 1:]
            info = model.get_type(owner)
            ok = info is not None and (
                (kind == "#" and (member in info.methods or (member == "new" and info.new is not None)
                                  or (member == "call" and info.call is not None)))
                or (kind == "." and member in info.props) or (kind == "@" and member in info.events))
            if not ok:
                unknown.append((rule.id, key))
    assert unknown == []


def test_rules_say_what_replaces_each_use() -> None:
    rules = load_rulebook().rules
    assert len(rules) == len({r.id for r in rules})
    for rule in rules:
        assert rule.area in AREAS, rule.id
        assert rule.side in ("client", "server"), rule.id
        assert rule.effort in ("S", "M", "L"), rule.id
        assert all((rule.twilio, rule.acs, rule.differs, rule.match)), rule.id
        if not rule.has_counterpart:
            assert rule.instead, f"{rule.id} has no ACS counterpart and must say what teams do instead"


def test_unverified_and_replaced_rules_are_marked() -> None:
    book = load_rulebook().by_id
    assert book["CHAT-C1"].verified
    assert not book["CHAT-M6"].verified
    # the server side this app takes over is named as such
    assert "/api/token" in (book["TOKEN-ACCESSTOKEN"].replaced_by or "")
    assert "fan-out" in (book["HOOK-VALIDATE"].replaced_by or "")
    assert "migration" in (book["REST-CONV-READ"].replaced_by or "")
    # delivery receipts are not read receipts (research note A4); chat tokens need the chat scope (A1)
    assert not book["CHAT-M16"].has_counterpart
    assert "sendReadReceipt" not in book["CHAT-M16"].acs
    assert "'chat'" in book["TOKEN-CHATGRANT"].acs


def test_replaced_by_is_server_work_and_app_support_client_work() -> None:
    for rule in load_rulebook().rules:
        if rule.replaced_by:
            assert rule.side == "server", rule.id
        if rule.app_support:
            assert rule.side == "client", rule.id
    assert "SID -> thread id map" in (load_rulebook().by_id["CHAT-T3"].app_support or "")
