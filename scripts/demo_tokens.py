"""The token service in the demo: sign in as a user with a JWT from the local test issuer, get an ACS token.

``run_token_demo`` is called by ``scripts/demo.py`` (the app must trust the issuer: pass
``issuer.app_settings()`` into the app's environment). Run alone, this module starts
Azurite, the ACS stand-in, the local issuer and the local host, and prints the answer.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack
from typing import Any

import httpx

from harness.local_issuer import LocalIssuer, running_local_issuer


def run_token_demo(*, host_url: str, issuer: LocalIssuer, identity: str, timeout: float = 30) -> dict[str, Any]:
    """POST /api/token as ``identity``, signed in with a JWT from the local issuer; the token response.

    No function key: the route is anonymous at the host and verifies the JWT itself.
    """
    headers = {"Authorization": f"Bearer {issuer.token(identity)}"}
    response = httpx.post(f"{host_url}/api/token", headers=headers, json={"scopes": ["chat"]}, timeout=timeout)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def main() -> int:
    from emulators.azurite import running_azurite
    from emulators.host import local_host_in_thread
    from harness.process import python_module_argv, running

    with ExitStack() as stack:
        azurite = stack.enter_context(running_azurite())
        acs = stack.enter_context(running("acs", python_module_argv("emulators.acs", "--port", "0")))
        issuer = stack.enter_context(running_local_issuer())
        env = {
            "AzureWebJobsStorage": azurite.connection_string,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "demo-auth-token",
            "ACS_CONNECTION_STRING": str(acs.info["connection_string"]),
            "ACS_CA_BUNDLE": str(acs.info["ca_bundle"]),
            **issuer.app_settings(),
        }
        os.environ.update(env)
        import azure.functions as func

        from shared.container import AppContainer
        from shared.triggers import tokens

        container = AppContainer.from_environ(env)
        app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
        app.register_functions(tokens.build_blueprint(container))
        host = stack.enter_context(local_host_in_thread(app, queues=False))
        # the export engine maps a Twilio author to an ACS user when it copies their messages
        author = container.acs_users.ensure_user("alice@example.com")
        print(f"exporter mapped alice@example.com -> {author.acs_user_id}")
        answer = run_token_demo(host_url=host.url, issuer=issuer, identity="alice@example.com")
        print(json.dumps({**answer, "token": answer["token"][:24] + "…"}, indent=2, ensure_ascii=False))
        print("same ACS user:", answer["communicationUserId"] == author.acs_user_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
