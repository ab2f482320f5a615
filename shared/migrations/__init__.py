"""Migration runs inside the Functions app: start and watch runs, queue work, nightly and live sync.

The export engine (``shared.export``) copies one conversation at a time; this package
turns runs into queue work so nothing long runs inside one invocation.
"""
