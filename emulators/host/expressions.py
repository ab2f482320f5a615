"""Resolve the host's ``%SETTING%`` binding expressions from app settings."""

from __future__ import annotations

import re
from collections.abc import Mapping

_SETTING = re.compile(r"%([^%]+)%")


class UnresolvedSettingError(LookupError):
    """A ``%NAME%`` expression names a setting that is not defined."""


def resolve(value: str, settings: Mapping[str, str]) -> str:
    """Replace every ``%NAME%`` in ``value`` with ``settings[NAME]``, as the host does at index time.

    Raises ``UnresolvedSettingError`` naming the missing settings, like the host's start-up error.
    """
    missing = [name for name in _SETTING.findall(value) if name not in settings]
    if missing:
        raise UnresolvedSettingError(f"'{value}' refers to undefined app setting(s): {', '.join(missing)}")
    return _SETTING.sub(lambda m: settings[m.group(1)], value)


def missing_settings(values: list[str], settings: Mapping[str, str]) -> list[str]:
    """Every setting named by a ``%NAME%`` in ``values`` that ``settings`` lacks, in first-seen order."""
    missing: list[str] = []
    for value in values:
        for name in _SETTING.findall(value):
            if name not in settings and name not in missing:
                missing.append(name)
    return missing
