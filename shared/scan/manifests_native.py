"""Mobile, Java and .NET manifests: Gradle, Maven, CocoaPods and NuGet references to Twilio SDKs.

Only the dependency is reported (Swift, Kotlin, Java and C# sources are not parsed yet). Comments are
blanked first, keeping offsets, so a commented-out dependency is not a finding.
"""

from __future__ import annotations

import re

from .flow import Tracker

GRADLE = re.compile(r"""["'](com\.twilio(?:\.sdk)?):([A-Za-z0-9._-]+)(?::([^"'\s]+))?["']""")
GRADLE_MAP = re.compile(r"""group\s*[:=]\s*["'](com\.twilio(?:\.sdk)?)["']\s*,\s*"""
                        r"""name\s*[:=]\s*["']([A-Za-z0-9._-]+)["']""")
POD = re.compile(r"""^[ \t]*(pod)\s+["']([A-Za-z0-9_+-]+)(?:/[^"']*)?["']""", re.M)
MAVEN = re.compile(r"<dependency>(.*?)</dependency>", re.S)
NUGET = re.compile(r"""<Package(?:Reference|Version)?\b[^>]*\b(?:Include|id)\s*=\s*["']([A-Za-z0-9._-]+)["']""", re.I)
NATIVE_NAMES = ("build.gradle", "build.gradle.kts", "pom.xml", "Podfile", "packages.config",
                "Directory.Packages.props")


def is_native_manifest(name: str) -> bool:
    return name in NATIVE_NAMES or name.endswith((".csproj", ".fsproj", ".vbproj"))


def _blank(text: str, pattern: str) -> str:
    return re.sub(pattern, lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def _position(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def scan_native_manifest(tracker: Tracker, name: str, text: str) -> None:
    if name.startswith("build.gradle"):
        code = _blank(_blank(text, r"/\*.*?\*/"), r"//[^\n]*")
        for match in GRADLE.finditer(code):
            tracker.record_key(f"maven:{match.group(1)}:{match.group(2)}", _position(text, match.start() + 1),
                               match.group(0).strip("\"'"))
        for match in GRADLE_MAP.finditer(code):
            tracker.record_key(f"maven:{match.group(1)}:{match.group(2)}", _position(text, match.start()),
                               f"{match.group(1)}:{match.group(2)}")
    elif name == "Podfile":
        code = _blank(text, r"#[^\n]*")
        for match in POD.finditer(code):
            tracker.record_key(f"pod:{match.group(2)}", _position(text, match.start(1)), f"pod '{match.group(2)}'")
    elif name == "pom.xml":
        code = _blank(text, r"<!--.*?-->")
        for match in MAVEN.finditer(code):
            group = re.search(r"<groupId>\s*([^<\s]+)\s*</groupId>", match.group(1))
            artifact = re.search(r"<artifactId>\s*([^<\s]+)\s*</artifactId>", match.group(1))
            if group and artifact:
                tracker.record_key(f"maven:{group.group(1)}:{artifact.group(1)}", _position(text, match.start()),
                                   f"{group.group(1)}:{artifact.group(1)}")
    else:
        code = _blank(text, r"<!--.*?-->")
        for match in NUGET.finditer(code):
            tracker.record_key(f"nuget:{match.group(1).lower()}", _position(text, match.start()),
                               f"NuGet {match.group(1)}")
