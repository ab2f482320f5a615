"""The app's triggers: one Blueprint per feature area, each built from the ``AppContainer``.

Each module exposes ``build_blueprint(container) -> func.Blueprint``; ``function_app.py``
registers them. Handlers parse and validate input, call a service and map the result.
"""

from __future__ import annotations

import azure.functions as func


def new_blueprint() -> func.Blueprint:
    """A fresh Blueprint (the library's constructor is untyped)."""
    return func.Blueprint()  # type: ignore[no-untyped-call]
