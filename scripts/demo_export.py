"""The export in the demo: seed the Twilio stand-in (``realistic`` profile), ``migrate``, then ``verify``.

``run_export_demo`` is called by ``scripts/demo.py``; it runs the real command line
(``python -m shared.cli``) as a child process with the app's settings, so what it prints
is what an operator sees. Run alone, this module starts Azurite and both stand-ins (ACS
with its rate windows time-scaled, so ~3,600 messages take seconds, not hours).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
TIME_SCALE = "0.01"


def _run(argv: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    completed = subprocess.run(argv, cwd=REPO_ROOT, env={**os.environ, **env, "COLUMNS": "160"},
                               capture_output=True, text=True, timeout=timeout, check=False)
    return {"exit": completed.returncode, "output": completed.stdout + completed.stderr}


def seed_realistic(twilio_info: dict[str, Any], *, seed: int = 1, timeout: float = 300) -> dict[str, Any]:
    """Seed the running Twilio stand-in through its seeder (the real SDK); its JSON summary."""
    result = _run([sys.executable, "-m", "emulators.twilio.seed", "--url", str(twilio_info["url"]),
                   "--account-sid", str(twilio_info["account_sid"]), "--auth-token", str(twilio_info["auth_token"]),
                   "--profile", "realistic", "--seed", str(seed)], {}, timeout)
    if result["exit"] != 0:
        raise RuntimeError(f"seeding failed: {result['output'][-2000:]}")
    summary: dict[str, Any] = json.loads(result["output"].strip().splitlines()[-1])
    return summary


def run_export_demo(*, environ: dict[str, str], twilio_info: dict[str, Any], seed: bool = True,
                    timeout: float = 900) -> dict[str, Any]:
    """Seed (optionally), then ``migrate --include-legacy-public-channels`` and ``verify``; prints and returns both.

    ``environ`` holds the app's settings (storage, Twilio, ACS); the export's pacing should be
    time-scaled like the ACS stand-in (``EXPORT_RATE_TIME_SCALE``).
    """
    outcome: dict[str, Any] = {}
    if seed:
        outcome["seeded"] = seed_realistic(twilio_info)
        print("== Twilio stand-in seeded (realistic profile)")
        print(json.dumps(outcome["seeded"], indent=2))
    cli = [sys.executable, "-m", "shared.cli"]
    outcome["migrate"] = _run([*cli, "migrate", "--include-legacy-public-channels"], environ, timeout)
    print(f"== acs-migrate migrate -> exit {outcome['migrate']['exit']}")
    print(outcome["migrate"]["output"][-6000:])
    outcome["verify"] = _run([*cli, "verify"], environ, timeout)
    print(f"== acs-migrate verify -> exit {outcome['verify']['exit']}")
    print(outcome["verify"]["output"][-8000:])
    return outcome


def main() -> int:
    from emulators.azurite import running_azurite
    from harness.app_settings import standin_settings
    from harness.process import python_module_argv, running

    with ExitStack() as stack:
        azurite = stack.enter_context(running_azurite())
        twilio = stack.enter_context(running("twilio", python_module_argv("emulators.twilio", "--port", "0")))
        acs = stack.enter_context(running("acs", python_module_argv(
            "emulators.acs", "--port", "0", "--time-scale", TIME_SCALE)))
        env = {
            **standin_settings(storage_connection_string=azurite.connection_string, twilio=twilio, acs=acs),
            "EXPORT_RATE_TIME_SCALE": TIME_SCALE,
            "EXPORT_CONCURRENCY": "40",
        }
        outcome = run_export_demo(environ=env, twilio_info=twilio.info)
    return 0 if outcome["migrate"]["exit"] == 0 and outcome["verify"]["exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
