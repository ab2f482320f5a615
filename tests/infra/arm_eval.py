"""A small evaluator for the ARM expressions main.bicep uses to check its parameters.

Bicep cannot run here, so the parameter checks (``parameterProblems``, ``parameterCheck``) are
evaluated from pycep-parser's tree with ARM's semantics for the functions they use: ``if``
(the ternary) evaluates only the branch it takes, ``int`` of a non-number fails the deployment.
pycep-parser writes identifiers and string literals alike as plain strings; a string that names
a parameter or variable is read as that name, as Bicep would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class DeploymentFailed(Exception):
    """What ARM would report: the expression failed at deployment time."""


class Evaluator:
    def __init__(self, tree: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
        self._variables = {name: v["value"] for name, v in tree.get("variables", {}).items()}
        defaults = {name: p.get("default") for name, p in tree.get("parameters", {}).items()}
        self._parameters = {**defaults, **parameters}
        unknown = set(parameters) - set(defaults)
        if unknown:
            raise KeyError(f"not parameters of the template: {sorted(unknown)}")

    def variable(self, name: str) -> Any:
        return self.eval(self._variables[name])

    def eval(self, node: Any) -> Any:
        if isinstance(node, bool | int) or node is None:
            return node
        if isinstance(node, str):
            return self._name_or_literal(node)
        if isinstance(node, list):
            return [self.eval(item) for item in node]
        if "operator" in node:
            return self._operator(node["operator"])
        if "function" in node:
            return self._function(node["function"])
        raise NotImplementedError(f"expression not supported: {node}")

    def _name_or_literal(self, text: str) -> Any:
        if text in self._parameters:
            return self._parameters[text]
        if text in self._variables:
            return self.variable(text)
        return re.sub(r"\$\{([^}]*)\}", lambda m: str(self._interpolate(m.group(1))), text)

    def _interpolate(self, inner: str) -> Any:
        join = re.fullmatch(r"join\((\w+), '([^']*)'\)", inner.strip())
        if join:
            return join.group(2).join(self._name_or_literal(join.group(1)))
        return self._name_or_literal(inner.strip())

    def _operator(self, op: Mapping[str, Any]) -> Any:
        kind, operands = op["type"], op["operands"]
        if kind == "conditional":  # ARM's if(): only the branch taken is evaluated
            branch = "true_value" if self.eval(operands["condition"]) else "false_value"
            return self.eval(operands[branch])
        if kind == "not":
            return not self.eval(operands["bool_value"])
        if kind == "and":
            return bool(self.eval(operands["operand_1"])) and bool(self.eval(operands["operand_2"]))
        if kind == "or":
            return bool(self.eval(operands["operand_1"])) or bool(self.eval(operands["operand_2"]))
        left, right = self.eval(operands["operand_1"]), self.eval(operands["operand_2"])
        comparisons = {
            "equals": lambda: left == right,
            "not_equals": lambda: left != right,
            "greater_than_or_equals": lambda: left >= right,
            "greater_than": lambda: left > right,
            "less_than": lambda: left < right,
        }
        if kind not in comparisons:
            raise NotImplementedError(f"operator not supported: {kind}")
        return comparisons[kind]()

    def _function(self, fn: Mapping[str, Any]) -> Any:
        kind = fn["type"]
        args = [self.eval(value) for value in fn.get("parameters", {}).values()]
        if kind == "replace":
            return args[0].replace(args[1], args[2])
        if kind == "substring":
            if len(args[0]) < args[1]:
                raise DeploymentFailed("substring: start index beyond the string")
            return args[0][args[1]:] if len(args) == 2 or args[2] is None else args[0][args[1]:args[1] + args[2]]
        if kind == "starts_with":
            return args[0].startswith(args[1])
        if kind == "empty":
            return not args[0]
        if kind == "length":
            return len(args[0])
        if kind == "concat":
            return [item for arg in args for item in arg] if isinstance(args[0], list) else "".join(args)
        if kind == "contains":
            return args[1] in args[0]
        if kind == "string":
            return str(args[0])
        if kind == "int":
            try:
                return int(args[0])
            except ValueError:
                raise DeploymentFailed(f"int() could not convert: {args[0]}") from None
        raise NotImplementedError(f"function not supported: {kind}")
