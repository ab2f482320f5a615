"""Stand-in for the Azure CLI on PATH (tests/infra/test_postdeploy.py): records argv, answers what
the postdeploy hook asks, and fails the way az does when told to.

FAKE_AZ_LOG          file that gets one JSON argv per call
FAKE_AZ_STATE        JSON file with the stand-in's state (trigger syncs, event subscriptions)
FAKE_AZ_SIGNED_IN    "0": every call fails as az does before `az login`
FAKE_AZ_VISIBLE      the subscriptions the signed-in account can see (space-separated)
FAKE_AZ_SYNCS_NEEDED trigger syncs before the app lists its functions (before that: only WarmUp, as on Flex)
FAKE_AZ_NEVER_LISTS  the host never lists the app's functions
FAKE_AZ_FAIL         one of: show-app, sync-rbac, sync-transient, list, create, state
FAKE_AZ_APP_ID, FAKE_AZ_FUNCTION  the app's resource id and its Event Grid function
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

ARGS = sys.argv[1:]


def flag(name: str) -> str | None:
    return ARGS[ARGS.index(name) + 1] if name in ARGS else None


def die(message: str, code: int = 1) -> NoReturn:
    print("ERROR: " + message, file=sys.stderr)
    sys.exit(code)


class State:
    """The stand-in's state between calls (trigger syncs, event subscriptions), kept in FAKE_AZ_STATE."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.data: dict[str, Any] = {"syncs": 0, "subscriptions": {}}
        if os.path.exists(path):
            with open(path) as saved:
                self.data = json.load(saved)

    def save(self) -> None:
        with open(self.path, "w") as out:
            json.dump(self.data, out)


def target_subscription(command: str) -> str:
    """The subscription a call addresses, after the checks az makes (signed in, subscription visible)."""
    if os.environ.get("FAKE_AZ_SIGNED_IN", "1") == "0":
        die("Please run 'az login' to setup account.")
    visible = os.environ["FAKE_AZ_VISIBLE"].split()
    if command.startswith("rest"):
        url = flag("--url") or ""
        target = url.split("/subscriptions/")[1].split("/")[0] if "/subscriptions/" in url else None
    else:
        target = flag("--subscription")
        if target is None:
            die("test stand-in: no --subscription, so this call would go to az's default subscription", 2)
    if target not in visible:
        die(f"Subscription '{target}' not found. Check the spelling and casing and try again.")
    return target


def show_app(fail: str) -> None:
    if fail == "show-app":
        die("(AuthorizationFailed) The client does not have authorization to perform action "
            "'Microsoft.Web/sites/read'")
    print(os.environ["FAKE_AZ_APP_ID"])


def sync_triggers(state: State, fail: str) -> None:
    if fail == "sync-rbac":
        die('Forbidden({"error":{"code":"AuthorizationFailed"}})')
    if fail == "sync-transient" and not state.data.get("failed_once"):
        state.data["failed_once"] = True
        state.save()
        die('Bad Request({"Message":"Encountered an error (ServiceUnavailable) from host runtime."})')
    state.data["syncs"] += 1
    state.save()


def list_functions(state: State, fail: str) -> None:
    if fail == "list":
        die("(ResourceNotFound) The Resource 'Microsoft.Web/sites/func-abc' was not found.")
    app = flag("--name")
    names = [f"{app}/WarmUp"]
    needed = int(os.environ.get("FAKE_AZ_SYNCS_NEEDED", "1"))
    if not os.environ.get("FAKE_AZ_NEVER_LISTS") and state.data["syncs"] >= needed:
        names += [f"{app}/health", f"{app}/{os.environ['FAKE_AZ_FUNCTION']}", f"{app}/fanout_deliver"]
    print("\n".join(names))


def create_subscription(state: State, fail: str) -> None:
    if fail == "create":
        die("(InvalidRequest) Webhook validation handshake failed for the destination function.")
    name = str(flag("--name"))
    previous = state.data["subscriptions"].get(name, {}).get("updates", -1)
    state.data["subscriptions"][name] = {"state": "Failed" if fail == "state" else "Succeeded",
                                         "updates": previous + 1}
    state.save()


def show_subscription(state: State) -> None:
    entry = state.data["subscriptions"].get(flag("--name"))
    if entry is None:
        die("(ResourceNotFound) The event subscription was not found.")
    print(entry["state"])


def main() -> None:
    state = State(os.environ["FAKE_AZ_STATE"])
    with open(os.environ["FAKE_AZ_LOG"], "a") as log:
        log.write(json.dumps(ARGS) + "\n")
    fail = os.environ.get("FAKE_AZ_FAIL", "")
    command = " ".join(a for a in ARGS[:6] if not a.startswith("-"))
    target = target_subscription(command)

    if command.startswith("account show"):
        print(target)
    elif command.startswith("functionapp show"):
        show_app(fail)
    elif command.startswith("rest"):
        sync_triggers(state, fail)
    elif command.startswith("functionapp function list"):
        list_functions(state, fail)
    elif command.startswith("eventgrid system-topic event-subscription create"):
        create_subscription(state, fail)
    elif command.startswith("eventgrid system-topic event-subscription show"):
        show_subscription(state)
    else:
        die("unexpected az call: " + " ".join(ARGS), 2)


if __name__ == "__main__":
    main()
