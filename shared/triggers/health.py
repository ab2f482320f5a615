"""``GET /api/health``: anonymous readiness probe."""

from __future__ import annotations

import azure.functions as func

from ..container import AppContainer
from ..http import handle_errors, json_response
from . import new_blueprint


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("health")
    @bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    @handle_errors
    def health(req: func.HttpRequest) -> func.HttpResponse:
        report = container.health.check()
        return json_response(report.to_json(), status=200 if report.healthy else 503)

    return bp
