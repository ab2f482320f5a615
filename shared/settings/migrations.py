"""Migration runs inside the Functions app: the nightly schedule and live sync from Twilio webhooks."""

from __future__ import annotations

from dataclasses import dataclass

from .core import setting
from .parsers import (
    EXPECT_POSITIVE_NUMBER,
    EXPECT_URL,
    match,
    number_at_least_below,
    number_between,
    positive_number,
    url,
)

TWILIO_EVENTS_PATH = "/api/twilio/events"
EXPECT_NCRONTAB = "an NCRONTAB schedule with six fields, e.g. 0 0 2 * * *"


@dataclass(frozen=True)
class MigrationSettings:
    """Migration runs inside the Functions app: the nightly schedule and live sync from Twilio webhooks."""

    nightly_schedule: str = setting(  # NCRONTAB (six fields), UTC; bound as %NIGHTLY_SCHEDULE%
        "NIGHTLY_SCHEDULE", match(r"(\S+\s+){5}\S+\Z"), EXPECT_NCRONTAB, default="0 0 2 * * *")
    plan_seconds: float = setting(  # time budget of one planning invocation
        "MIGRATION_PLAN_SECONDS", positive_number, EXPECT_POSITIVE_NUMBER, default=60.0)
    sweep_every_days: float = setting(  # days between nightly runs' deep sweeps (0: every night)
        "NIGHTLY_SWEEP_DAYS", number_between(0, 365), "a number of days from 0 to 365", default=7.0)
    live_sync_delay_seconds: float = setting(  # webhooks within this window fold into one sync
        "LIVE_SYNC_DELAY_SECONDS", number_at_least_below(0, 3600), "a number of seconds, 0 or more", default=2.0)
    # The public URL Twilio calls; signatures are checked against it. TWILIO_WEBHOOK_URL, else PUBLIC_BASE_URL
    # (else https:// + WEBSITE_HOSTNAME, the site's own name in Azure) + /api/twilio/events; never the request's.
    twilio_webhook_url: str | None = setting("TWILIO_WEBHOOK_URL", url, EXPECT_URL, default=None)
