"""The configuration check's result: named checks, each pass, warn, fail or skip with a message.

A plain typed structure that the CLI (``python -m shared.cli doctor``), ``GET /api/health/deep``
and any console render as they like. Messages say what is wrong and what to do, naming
settings, never their secret values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Status = Literal["pass", "warn", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    """One named check: ``fail`` blocks a cutover, ``warn`` deserves a look, ``skip`` was not run."""

    name: str
    status: Status
    message: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "message": self.message}


@dataclass(frozen=True)
class DoctorReport:
    """Every check, in a fixed order; ``ok`` when none failed."""

    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return not any(check.status == "fail" for check in self.checks)

    def check(self, name: str) -> CheckResult:
        """The result named ``name``; ``KeyError`` if there is none."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def to_json(self) -> dict[str, object]:
        return {"status": "pass" if self.ok else "fail", "checks": [c.to_json() for c in self.checks]}


class Check(Protocol):
    """A check the doctor runs; it returns its result rather than raising."""

    @property
    def name(self) -> str: ...

    def run(self) -> CheckResult: ...


@dataclass(frozen=True)
class FixedCheck:
    """A check whose result is known without running anything (settings invalid, feature off)."""

    name: str
    status: Status
    message: str

    def run(self) -> CheckResult:
        return CheckResult(self.name, self.status, self.message)


class DoctorService:
    """Runs the checks in order; a check that raises is reported as failed, naming only the error type."""

    def __init__(self, *, checks: Sequence[Check], close: Callable[[], None] | None = None) -> None:
        self._checks = tuple(checks)
        self._close = close

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(check.name for check in self._checks)

    def run(self) -> DoctorReport:
        results = []
        for check in self._checks:
            try:
                results.append(check.run())
            except Exception as exc:  # a check's own bug must not hide the other checks  # noqa: BLE001
                results.append(CheckResult(check.name, "fail", f"the check itself failed ({type(exc).__name__}); "
                                                                "run `python -m shared.cli doctor` for details"))
        return DoctorReport(tuple(results))

    def close(self) -> None:
        if self._close is not None:
            self._close()
