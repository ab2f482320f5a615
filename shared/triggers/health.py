"""``GET /api/health``: anonymous, cheap readiness probe; ``GET /api/health/deep``: the configuration
check (function key), the same ``DoctorService`` as ``python -m shared.cli doctor``.

The host enforces keys per function, not per query value, so ``/api/health?deep=true`` answers a
307 to ``/api/health/deep`` (query kept, so ``?code=`` still works) instead of running the checks
for anonymous callers.
"""

from __future__ import annotations

from urllib.parse import urlencode

import azure.functions as func

from ..container import AppContainer
from ..http import handle_errors, json_response
from . import new_blueprint

DEEP_ROUTE = "/api/health/deep"


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("health")
    @bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    @handle_errors
    def health(req: func.HttpRequest) -> func.HttpResponse:
        if (req.params.get("deep") or "").lower() in ("true", "1", "yes"):
            query = urlencode({k: v for k, v in req.params.items() if k != "deep"})
            location = DEEP_ROUTE + (f"?{query}" if query else "")
            return json_response({"deep": DEEP_ROUTE, "auth": "function key"}, status=307,
                                 headers={"Location": location})
        report = container.health.check()
        return json_response(report.to_json(), status=200 if report.healthy else 503)

    @bp.function_name("health_deep")
    @bp.route(route="health/deep", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
    @handle_errors
    def health_deep(req: func.HttpRequest) -> func.HttpResponse:
        report = container.doctor.run()
        return json_response(report.to_json(), status=200 if report.ok else 503)

    return bp
