"""The app's own library: settings, state stores, clients and services.

Triggers in ``function_app.py`` and ``shared.blueprints`` stay thin: they parse input,
call a service from here and map the result. Nothing here reads environment
variables except ``shared.settings.load_settings``.
"""

from __future__ import annotations

__version__ = "0.1.0"
