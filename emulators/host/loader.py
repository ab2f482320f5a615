"""Import a Functions app the way the Python worker does and read what the host would index."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func


class AppLoadError(RuntimeError):
    """The module does not hold exactly one FunctionApp, or the app cannot be indexed."""


@dataclass(frozen=True)
class FunctionSpec:
    """One indexed function: its name, its function.json bindings and the user's callable."""

    name: str
    bindings: list[dict[str, Any]]
    user_function: Callable[..., Any]
    is_async: bool
    parameters: tuple[str, ...] = field(default=())
    annotations: dict[str, Any] = field(default_factory=dict)

    @property
    def trigger(self) -> dict[str, Any]:
        """The one binding whose type ends in ``Trigger``."""
        for binding in self.bindings:
            if str(binding.get("type", "")).endswith("Trigger"):
                return binding
        raise AppLoadError(f"function {self.name} has no trigger binding")

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])

    @property
    def wants_context(self) -> bool:
        return "context" in self.parameters


def load_app(spec: str, *, app_dir: str | Path | None = None) -> func.FunctionApp:
    """Import ``module[:attribute]`` and return its single FunctionApp.

    Like the worker's indexer, the module's globals must hold exactly one
    ``FunctionRegister`` (Blueprints do not count). ``app_dir`` is put first on sys.path.
    """
    module_name, _, attribute = spec.partition(":")
    if app_dir is not None and str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AppLoadError(f"cannot import {module_name}: {exc}") from exc
    apps = {name: value for name, value in vars(module).items() if isinstance(value, func.FunctionRegister)}
    if len(apps) != 1:
        raise AppLoadError(
            f"{module_name} must define exactly one FunctionApp (the worker refuses otherwise); found {sorted(apps)}"
        )
    name, app = next(iter(apps.items()))
    if attribute and attribute != name:
        raise AppLoadError(f"{module_name}.{attribute} is not the module's FunctionApp (that is {name!r})")
    if not isinstance(app, func.FunctionApp):
        raise AppLoadError(f"{module_name}.{name} is a {type(app).__name__}, not a FunctionApp")
    return app


def _type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    """Resolved parameter annotations (string annotations included); empty when they cannot be resolved."""
    try:
        return typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - an unresolvable annotation only means no str/bytes adaptation
        return {}


def index_functions(app: func.FunctionApp) -> list[FunctionSpec]:
    """``app.get_functions()`` with its idempotency gotcha handled, read through function.json."""
    app.functions_bindings = {}  # get_functions() is not idempotent in azure-functions 1.x
    try:
        functions = app.get_functions()
    except ValueError as exc:
        raise AppLoadError(f"the app cannot be indexed: {exc}") from exc
    specs = []
    for function in functions:
        document = json.loads(function.get_function_json())
        user_function = function.get_user_function()
        specs.append(
            FunctionSpec(
                name=str(function.get_function_name()),
                bindings=list(document["bindings"]),
                user_function=user_function,
                is_async=inspect.iscoroutinefunction(user_function),
                parameters=tuple(inspect.signature(user_function).parameters),
                annotations=_type_hints(user_function),
            )
        )
    return specs
