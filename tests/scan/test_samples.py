"""Each sample app yields exactly the findings annotated on its lines, and nothing from comments or strings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scan.conftest import SAMPLES, expected_in, found_in, scan


@pytest.mark.parametrize("sample", ["js_app", "ts_app", "python_app", "python_pkg", "html_page"])
def test_findings_match_the_annotations_line_by_line(sample: str) -> None:
    root = SAMPLES / sample
    expected = expected_in(root)
    assert len(expected) >= 6  # the annotations are there and were read
    report = scan(root)
    assert found_in(report) == expected
    assert report.notes == []


def test_js_columns_point_at_the_member_used() -> None:
    report = scan(SAMPLES / "js_app")
    at = {(f.path, f.line, f.column): (f.rule.id, f.symbol) for f in report.findings}
    # `const conversation = await this.client.getConversationBySid(conversationSid);`
    assert at[("src/chat.js", 19, 44)] == ("CHAT-T3", "Client.getConversationBySid()")
    # the option key inside `TwilioVideo.connect(token, { name: roomName, ... })`
    assert at[("src/video.js", 7, 5)] == ("VIDEO-J1", "twilio-video.connect() option name")
    # REST chain started in one statement and finished in the next
    assert at[("server/token.js", 23, 48)][1] == "client.conversations.v1.conversations(…).messages.list()"


def test_a_value_is_followed_from_import_through_await_to_its_calls(tmp_path: Path) -> None:
    (tmp_path / "flow.js").write_text(
        'import { Client } from "@twilio/conversations";\n'
        "const c = new Client(t);\n"
        "const conv = await c.getConversationBySid(s);\n"
        'conv.sendMessage("hello");\n', encoding="utf-8")
    report = scan(tmp_path)
    assert [(f.line, f.column, f.rule.id) for f in report.findings] == [
        (1, 1, "PKG-CONVERSATIONS"), (2, 11, "CHAT-C1"), (3, 22, "CHAT-T3"), (4, 6, "CHAT-M2")]


def test_typescript_aliases_reexports_and_chained_awaits() -> None:
    report = scan(SAMPLES / "ts_app")
    app = {(f.line, f.rule.id) for f in report.findings if f.path == "src/app.tsx"}
    # openConversation comes through the @chat/* tsconfig alias; its result type through `return await ...`
    assert (5, "CHAT-M4") in app
    # Conversation and Message types come through a re-export module, renamed twice
    assert {(10, "CHAT-R4"), (10, "CHAT-M8")} <= app
    # ChatClient is `Client as ChatClient` re-exported from src/chat/twilio.ts
    assert {f.symbol for f in report.findings if f.rule.id == "CHAT-C1"} == {"new Client()"}


def test_a_clean_file_with_twilio_words_in_comments_and_strings_reports_nothing() -> None:
    report = scan(SAMPLES / "js_app" / "src" / "clean.js")
    assert report.files_scanned == 1
    assert report.findings == []
    assert report.notes == []


def test_python_comments_and_strings_report_nothing(tmp_path: Path) -> None:
    (tmp_path / "notes.py").write_text(
        '"""from twilio.rest import Client; Client(sid, token).conversations.v1.conversations.list()"""\n'
        "# from twilio.jwt.access_token import AccessToken\n"
        'HELP = "AccessToken(sid, key, secret).to_jwt()"\n'
        "Client = dict\n"
        "Client(a=1)\n", encoding="utf-8")
    assert scan(tmp_path).findings == []


def test_manifest_only_project() -> None:
    report = scan(SAMPLES / "manifest_only")
    assert {(f.path, f.line, f.column, f.rule.id) for f in report.findings} == {
        ("package.json", 5, 5, "PKG-CONVERSATIONS"),
        ("package.json", 7, 5, "PKG-VIDEO"),
        ("package.json", 10, 5, "PKG-TWILIO-NODE"),
        ("package.json", 11, 5, "PKG-VIDEO-PROCESSORS"),
        ("pyproject.toml", 4, 33, "PKG-TWILIO-PY"),
        ("pyproject.toml", 8, 1, "PKG-TWILIO-PY"),
        ("requirements-worker.txt", 3, 3, "PKG-TWILIO-PY"),  # twilio[async] with a marker; twilio-stubs is not it
    }
    assert report.files_scanned == 3


def test_sample_manifests_are_findings_too() -> None:
    report = scan(SAMPLES / "js_app")
    assert {(f.line, f.rule.id) for f in report.findings if f.path == "package.json"} == {
        (6, "PKG-CONVERSATIONS"), (8, "PKG-TWILIO-NODE"), (9, "PKG-VIDEO")}


def test_each_finding_carries_the_mapping() -> None:
    report = scan(SAMPLES / "python_app")
    token = next(f for f in report.findings if f.rule.id == "TOKEN-ACCESSTOKEN")
    data = token.to_dict()
    assert (data["path"], data["line"], data["column"], data["side"], data["area"]) == ("app.py", 24, 14, "server",
                                                                                        "tokens")
    assert "CommunicationIdentityClient" in data["acs"]
    assert data["replacedBy"].startswith("this app's POST /api/token")
    assert data["verified"] is False
    webhook = next(f for f in report.findings if f.rule.id == "HOOK-VALIDATE")
    assert "fan-out" in (webhook.rule.replaced_by or "")


def test_the_demo_sample_app() -> None:
    """`make demo` scans scripts/sample_twilio_app; it must stay readable and keep its mix of areas."""
    report = scan(Path(__file__).resolve().parents[2] / "scripts" / "sample_twilio_app")
    assert report.notes == []
    assert report.files_scanned == 5
    areas: dict[str, int] = {}
    for finding in report.findings:
        areas[finding.rule.area] = areas.get(finding.rule.area, 0) + 1
    assert areas == {"chat": 10, "video": 8, "tokens": 4, "webhooks": 2, "other": 4}


def test_android_ios_java_and_dotnet_manifests() -> None:
    report = scan(SAMPLES / "native_manifests")
    assert {(f.path, f.line, f.column, f.rule.id) for f in report.findings} == {
        ("android/app/build.gradle", 2, 21, "PKG-ANDROID-CONVERSATIONS"),
        ("android/app/build.gradle", 3, 21, "PKG-ANDROID-VIDEO"),
        ("android/app/build.gradle", 6, 20, "PKG-ANDROID-VIDEO"),  # group:/name: map notation
        ("ios/Podfile", 4, 3, "PKG-IOS-CONVERSATIONS"),
        ("ios/Podfile", 6, 3, "PKG-IOS-VIDEO"),
        ("java/pom.xml", 3, 5, "PKG-TWILIO-DOTNET-JAVA"),
        ("server/Api/Api.csproj", 3, 5, "PKG-TWILIO-DOTNET-JAVA"),
        ("server/Api/Api.csproj", 4, 5, "PKG-DOTNET-WEBHOOKS"),
    }  # the commented-out chat-android, audioswitch, TwilioVideo and Twilio.AspNet.Mvc lines are not findings
    assert report.files_scanned == 4
