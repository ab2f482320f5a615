"""Two FunctionApps in one module: the worker refuses to index this."""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp()
other = func.FunctionApp()
