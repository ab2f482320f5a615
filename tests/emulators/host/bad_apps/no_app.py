"""Only a Blueprint: a Blueprint is not a FunctionApp, so there is nothing to index."""

from __future__ import annotations

import azure.functions as func

bp = func.Blueprint()
