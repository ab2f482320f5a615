"""Composition root: settings once, clients and stores once, one Blueprint per feature area.

No business logic lives here. A bad configuration does not stop the app from being
indexed: it is logged once, naming every bad setting, and each function answers 503
saying so (``GET /api/health`` included) until the settings are fixed.
"""

from __future__ import annotations

import logging
import os

import azure.functions as func

from shared.container import AppContainer
from shared.settings import load_telemetry_settings
from shared.telemetry import configure_telemetry
from shared.triggers import archives, attachments, console, fanout, health, migrations, openapi, tokens, video

logging.getLogger("azure").setLevel(logging.WARNING)  # the SDKs log every request at INFO


def create_app(container: AppContainer) -> func.FunctionApp:
    """The app with every feature's Blueprint registered; tests build one on their own container."""
    function_app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    function_app.register_functions(health.build_blueprint(container))
    function_app.register_functions(tokens.build_blueprint(container))
    function_app.register_functions(migrations.build_blueprint(container))
    function_app.register_functions(fanout.build_blueprint(container))
    function_app.register_functions(video.build_blueprint(container))
    function_app.register_functions(attachments.build_blueprint(container))
    function_app.register_functions(archives.build_blueprint(container))
    function_app.register_functions(openapi.build_blueprint(container))
    function_app.register_functions(console.build_blueprint(container))
    return function_app


configure_telemetry(load_telemetry_settings(os.environ))  # off without APPLICATIONINSIGHTS_CONNECTION_STRING
container = AppContainer.from_environ(os.environ)
if container.settings_error is not None:
    logging.getLogger(__name__).error("%s", container.settings_error)

app = create_app(container)
