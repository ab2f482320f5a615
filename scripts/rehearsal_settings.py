"""The rehearsal's settings: a real deployment's (local.settings.sample.json) with the local stand-ins
in place of Azure Storage, Twilio, ACS and the identity provider.

`make demo` writes them to ``.run/demo/local.settings.json`` for the run it starts (the stand-ins
listen on fresh ports each time). The sample itself never points at anything local.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = REPO_ROOT / "local.settings.sample.json"
# Development switches a rehearsal needs (subscribers on loopback http); off in the sample and in Azure.
REHEARSAL_SWITCHES = {"FANOUT_ALLOW_HTTP": "true", "FANOUT_ALLOW_PRIVATE_TARGETS": "true"}
# Placeholders of the sample that only make sense for a real deployment.
_REAL_ONLY = ("AzureWebJobsStorage__accountName", "AzureWebJobsStorage__clientId",
              "AzureWebJobsStorage__tableServiceUri", "AzureWebJobsStorage__queueServiceUri",
              "AzureWebJobsStorage__blobServiceUri")


def rehearsal_settings(standins: Mapping[str, str], *, sample: Path = SAMPLE) -> dict[str, Any]:
    """A whole local.settings.json document: the sample's values, then the stand-ins' (``standin_settings``
    and the local issuer's ``app_settings``), then the rehearsal's development switches."""
    document: dict[str, Any] = json.loads(sample.read_text())
    values = {k: v for k, v in document["Values"].items() if k not in _REAL_ONLY}
    values.update(standins)
    values.update(REHEARSAL_SWITCHES)
    if not any(k.startswith("TOKEN_JWT_") for k in standins):  # no local issuer: leave bearer tokens off
        for name in ("TOKEN_JWT_ISSUER", "TOKEN_JWT_AUDIENCE", "TOKEN_JWKS_URL"):
            values[name] = ""
    document["Values"] = values
    return document


def write_rehearsal_settings(path: Path, standins: Mapping[str, str]) -> Path:
    """Write ``rehearsal_settings(standins)`` to ``path`` (its folder is made); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rehearsal_settings(standins), indent=2) + "\n")
    return path
