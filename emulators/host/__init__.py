"""A local stand-in for the Azure Functions host: HTTP routes and auth levels, admin-fired timers and
Event Grid functions, the Event Grid webhook, and storage-queue triggers pumped from Azurite."""

from __future__ import annotations

from .auth import HostKeys
from .hostjson import HostConfig, QueueOptions
from .loader import AppLoadError, FunctionSpec, index_functions, load_app
from .server import LocalHost
from .threaded import local_host_in_thread

__all__ = [
    "AppLoadError",
    "FunctionSpec",
    "HostConfig",
    "HostKeys",
    "LocalHost",
    "QueueOptions",
    "index_functions",
    "load_app",
    "local_host_in_thread",
]
