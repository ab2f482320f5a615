"""Reads and switches on the stand-ins' admin routes that a chaos run needs: sends, faults, snapshots."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from harness.process import RunningService


class AcsAdmin:
    def __init__(self, acs: RunningService) -> None:
        trust = ssl.create_default_context(cafile=str(acs.info["ca_bundle"]))
        self.http = httpx.Client(base_url=str(acs.info["admin"]), verify=trust, timeout=60)

    def sends(self) -> int:
        """Messages stored by the ACS stand-in so far (answered 201, or stored with the answer lost)."""
        counters = self.http.get("/counters").json()["counters"]
        route = counters.get("POST /chat/threads/{chatThreadId}/messages", {})
        return int(route.get("201", 0)) + int(route.get("lost", 0))

    def faults_fired(self) -> int:
        return sum(int(rule.get("fired", 0)) for rule in self.http.get("/faults").json().get("rules", []))

    def clear_faults(self) -> None:
        self.http.put("/faults", json={"spec": ""}).raise_for_status()

    def thread(self, thread_id: str) -> dict[str, Any]:
        response = self.http.get(f"/threads/{thread_id}")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def close(self) -> None:
        self.http.close()


class TwilioAdmin:
    def __init__(self, twilio: RunningService) -> None:
        self.http = httpx.Client(base_url=str(twilio.info["url"]), timeout=120,
                                 auth=(str(twilio.info["account_sid"]), str(twilio.info["auth_token"])))

    def clear_counters(self) -> None:
        self.http.delete("/_admin/counters").raise_for_status()

    def faults_answered(self) -> int:
        """Requests answered 429/500/503 or dropped since the counters were cleared."""
        by_route = self.http.get("/_admin/counters").json()["by_route"]
        return sum(int(n) for statuses in by_route.values() for status, n in statuses.items()
                   if status in ("429", "500", "503", "dropped"))

    def clear_faults(self) -> None:
        self.http.post("/_admin/faults", json={"spec": ""}).raise_for_status()

    def snapshot(self) -> dict[str, Any]:
        response = self.http.get("/_admin/snapshot")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def close(self) -> None:
        self.http.close()

