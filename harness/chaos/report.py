"""What one chaos run did and what the oracle found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChaosReport:
    """What one run did and what the check found."""

    seed: int
    run_status: str = ""
    twilio_messages: int = 0
    messages_checked: int = 0
    lost: int = 0
    duplicated: int = 0
    horizons_checked: int = 0
    media_checked: int = 0
    kills: int = 0
    kill_points: list[str] = field(default_factory=list)
    acs_faults: int = 0
    twilio_faults: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    poisoned: int = 0

    @property
    def faults(self) -> int:
        return self.acs_faults + self.twilio_faults

    def line(self) -> str:
        return (f"seed {self.seed:>3}  {self.run_status:<9} faults {self.faults:>4} (acs {self.acs_faults}, "
                f"twilio {self.twilio_faults})  kills {self.kills}  messages checked {self.messages_checked:>5}/"
                f"{self.twilio_messages:<5} lost {self.lost}  duplicated {self.duplicated}  horizons "
                f"{self.horizons_checked}  media {self.media_checked}  problems {len(self.problems)}  "
                f"{self.seconds:.0f} s")

