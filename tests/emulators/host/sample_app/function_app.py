"""Composition root of the sample app: one FunctionApp, three Blueprints."""

from __future__ import annotations

import azure.functions as func

from . import events_bp, http_bp, queues_bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(http_bp.bp)
app.register_functions(events_bp.bp)
app.register_functions(queues_bp.bp)
