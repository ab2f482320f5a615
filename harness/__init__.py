"""What tests, benchmarks and the demo share: never imported by the app, left out of its package (.funcignore).

- ``harness.process``: start a stand-in or the app as a child process, wait for its JSON ready line, stop it by PID.
- ``harness.app_settings``: the app settings pointing at running stand-ins, and storage names of a run's own.
- ``harness.subscriber``: a loopback webhook subscriber that checks signatures and records what came.
- ``harness.local_issuer``: a local OpenID Connect issuer (JWKS on loopback, signed JWTs).
- ``harness.console_browser``: headless Debian Chromium driven by Playwright.
- ``harness.fanout_pipeline``: the fan-out Blueprint on the host stand-in wired to an ACS stand-in's Event Grid.
- ``harness.functions_host``: the app under the host stand-in as a process that can be SIGKILLed and restarted.
- ``harness.chaos``: one seeded chaos run of a whole migration and its oracle.

The stand-ins themselves live in ``emulators/``.
"""
