"""The public URL check: the addresses outsiders are told to call must be this app's, over https.

``PUBLIC_BASE_URL`` (default ``https://`` + ``WEBSITE_HOSTNAME`` in Azure) is written into every
migrated message that links an attachment; without it the export refuses media. Twilio signs the
exact URL it posts to (X-Twilio-Signature), so a ``TWILIO_WEBHOOK_URL`` with the wrong path,
scheme or host makes every live-sync webhook a 403.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .report import CheckResult

WEBHOOK_PATH = "/api/twilio/events"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class PublicUrlCheck:
    """Checks PUBLIC_BASE_URL (when the app has one) and TWILIO_WEBHOOK_URL against each other."""

    name = "public-urls"

    def __init__(self, *, twilio_webhook_url: str | None, public_base_url: str | None = None,
                 base_url_setting: str = "PUBLIC_BASE_URL", base_required: bool = True) -> None:
        self._webhook = twilio_webhook_url
        self._base = public_base_url
        self._base_setting = base_url_setting
        self._base_required = base_required

    def run(self) -> CheckResult:
        problems: list[str] = []
        if self._base is None and self._base_required:
            problems.append(f"{self._base_setting} is not set (nor WEBSITE_HOSTNAME, which Azure sets): the export "
                            "cannot link migrated attachments; set it to the https address clients reach this app at")
        if self._base is not None:
            problems += _https_problems(self._base_setting, self._base)
        if self._webhook is not None:
            problems += _https_problems("TWILIO_WEBHOOK_URL", self._webhook)
            path = urlsplit(self._webhook).path.rstrip("/")
            if not path.endswith(WEBHOOK_PATH):
                problems.append(f"TWILIO_WEBHOOK_URL must end with {WEBHOOK_PATH} (Twilio signs the URL it calls)")
        if problems:
            return CheckResult(self.name, "fail", "; ".join(problems))
        if self._base is not None and self._webhook is not None:
            base_host, hook_host = urlsplit(self._base).netloc, urlsplit(self._webhook).netloc
            if base_host.lower() != hook_host.lower():
                return CheckResult(self.name, "warn", f"TWILIO_WEBHOOK_URL's host {hook_host} is not "
                                                      f"{self._base_setting}'s {base_host}: fine behind a proxy that "
                                                      "forwards it here, otherwise Twilio's webhooks go elsewhere")
        described = [f"{name} is {value}" for name, value in ((self._base_setting, self._base),
                                                               ("TWILIO_WEBHOOK_URL", self._webhook)) if value]
        if not described:
            return CheckResult(self.name, "pass", "no public URL is set: live sync refuses Twilio's webhooks (503), "
                                                  "since their signatures are never checked against a request's "
                                                  "Host; set PUBLIC_BASE_URL or TWILIO_WEBHOOK_URL to use it")
        target = self._webhook or f"{(self._base or '').rstrip('/')}{WEBHOOK_PATH}"
        return CheckResult(self.name, "pass", "; ".join(described) + f"; point Twilio's webhook at {target}")


def _https_problems(setting: str, url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return []
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return []
    return [f"{setting} must be an https URL (http only on loopback), not {parts.scheme or 'no scheme'}://"]
