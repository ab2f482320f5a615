"""Python front end: follows values of the ``twilio`` helper library through Python's own ``ast``.

Scopes are the module and each function; ``self.x`` assignments are kept per class. The module is
walked three times so that values assigned below their use are known. The code is parsed, never run.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import flow
from .flow import Pos, Tracker
from .rules import RuleBook, SymbolModel

if TYPE_CHECKING:
    from .pymodules import PyProject

PASSES = 3
Chain = tuple[ast.AST, ...]  # module, then enclosing classes and functions, innermost last
FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


class PyFile:
    def __init__(self, path: str, source: bytes, tree: ast.Module, *, model: SymbolModel, book: RuleBook,
                 project: PyProject | None = None) -> None:
        self.path = path
        self.project = project
        self.model = model
        self.tree = tree
        self.lines = source.splitlines()
        self.tracker = Tracker(model, book, path, new_word="")
        self.scopes: dict[int, dict[str, str]] = {}
        self.memo: dict[int, str] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def run(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(node.name, node)
        for _ in range(PASSES):
            self.memo = {}
            self._visit(self.tree, (self.tree,))

    def pos(self, line: int, byte_col: int) -> Pos:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else b""
        return line, len(text[:byte_col].decode("utf-8", "replace")) + 1

    def _attr_pos(self, node: ast.Attribute) -> Pos:
        line = node.end_lineno or node.lineno
        end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return self.pos(line, max(end - len(node.attr.encode("utf-8")), 0))

    # ------------------------------------------------------------------ scopes
    def bind(self, scope: ast.AST, name: str, type_name: str) -> None:
        names = self.scopes.setdefault(id(scope), {})
        if type_name in ("", "fn:") and names.get(name, "") not in ("", "fn:"):
            return
        names[name] = type_name

    def lookup(self, chain: Chain, name: str) -> str:
        for scope in reversed(chain):
            if isinstance(scope, ast.ClassDef):
                continue  # class bodies are not visible from their methods
            names = self.scopes.get(id(scope), {})
            if name in names:
                return names[name]
        return ""

    def _declaring(self, chain: Chain, name: str) -> ast.AST:
        for scope in reversed(chain):
            if not isinstance(scope, ast.ClassDef) and name in self.scopes.get(id(scope), {}):
                return scope
        return chain[-1]

    @staticmethod
    def _class(chain: Chain) -> ast.ClassDef | None:
        return next((s for s in reversed(chain) if isinstance(s, ast.ClassDef)), None)

    # ------------------------------------------------------------------ statements
    def _visit(self, node: ast.AST, chain: Chain) -> None:
        if isinstance(node, FUNCTION_NODES):
            self._function(node, chain)
            return
        if isinstance(node, ast.ClassDef):
            for child in [*node.bases, *node.keywords, *node.decorator_list]:
                self._visit(child, chain)
            for child in node.body:
                self._visit(child, (*chain, node))
            return
        self._bind_names(node, chain)
        for child in ast.iter_child_nodes(node):
            self._visit(child, chain)

    def _bind_names(self, node: ast.AST, chain: Chain) -> None:
        """The types a statement or expression gives to names (imports, assignments, loop and ``with`` targets)."""
        if isinstance(node, ast.Import):
            self._import(node, chain)
        elif isinstance(node, ast.ImportFrom):
            self._import_from(node, chain)
        elif isinstance(node, ast.Assign):
            type_name = self.type_of(node.value, chain)
            for target in node.targets:
                self._assign(target, type_name, chain)
        elif isinstance(node, ast.AnnAssign):
            type_name = self.type_of(node.value, chain) if node.value is not None else ""
            self._assign(node.target, type_name or self.annotation(node.annotation, chain), chain)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._assign(node.target, flow.element_of(self.type_of(node.iter, chain)), chain)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, self.type_of(item.context_expr, chain), chain)
        elif isinstance(node, ast.NamedExpr):
            self._assign(node.target, self.type_of(node.value, chain), chain)
        elif isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
            self.type_of(node, chain)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, chain: Chain) -> None:
        inner = (*chain, node)
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.bind(node, arg.arg, self.annotation(arg.annotation, chain))
        if isinstance(node, ast.Lambda):
            self._visit(node.body, inner)
            return
        for child in [*node.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self._visit(child, chain)
        for statement in node.body:
            self._visit(statement, inner)
        scope = chain[-1]
        if not isinstance(scope, ast.ClassDef):
            self.bind(scope, node.name, "fn:" + self._returns(node, inner))

    def _returns(self, node: ast.FunctionDef | ast.AsyncFunctionDef, inner: Chain) -> str:
        stack: list[ast.AST] = list(node.body)
        while stack:
            current = stack.pop()
            if isinstance(current, (*FUNCTION_NODES, ast.ClassDef)):
                continue
            if isinstance(current, ast.Return) and current.value is not None:
                type_name = self.type_of(current.value, inner)
                if type_name:
                    return type_name
            stack.extend(ast.iter_child_nodes(current))
        return ""

    def _assign(self, target: ast.expr, type_name: str, chain: Chain) -> None:
        if isinstance(target, ast.Name):
            self.bind(self._declaring(chain, target.id), target.id, type_name)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            owner = self._class(chain)
            if owner is not None:
                self.bind(owner, "self." + target.attr, type_name)
        elif isinstance(target, (ast.Tuple, ast.List)) and flow.element_of(type_name):
            for item in target.elts:
                self._assign(item, flow.element_of(type_name), chain)

    def _module(self, name: str) -> str:
        if name in self.model.py_modules:
            return self.model.py_modules[name]
        return "py.twilio.other" if name.startswith("twilio.") else ""

    def _import(self, node: ast.Import, chain: Chain) -> None:
        for alias in node.names:
            if alias.name != "twilio" and not alias.name.startswith("twilio."):
                local = self.project.resolve(alias.name, 0, self.path) if self.project else None
                if local is not None:
                    bound = local if alias.asname else local.split(".")[0]
                    if self.project is not None and bound in self.project.modules:
                        self.bind(chain[-1], alias.asname or bound, f"pyns:{bound}")
                continue
            self.tracker.record_key("pyimport:twilio", self.pos(node.lineno, node.col_offset), f"import {alias.name}")
            if alias.asname:
                self.bind(chain[-1], alias.asname, self._module(alias.name))
            else:
                self.bind(chain[-1], "twilio", self._module("twilio"))

    def _import_from(self, node: ast.ImportFrom, chain: Chain) -> None:
        module = node.module or ""
        if node.level or (module != "twilio" and not module.startswith("twilio.")):
            local = self.project.resolve(module, node.level, self.path) if self.project else None
            if local is not None and self.project is not None:
                for alias in node.names:
                    self.bind(chain[-1], alias.asname or alias.name, self.project.member(local, alias.name))
            return
        self.tracker.record_key("pyimport:twilio", self.pos(node.lineno, node.col_offset), f"from {module} import …")
        module_type = self._module(module)
        for alias in node.names:
            info = self.model.get_type(module_type)
            found = (info.props.get(alias.name, "") if info else "") or self._module(f"{module}.{alias.name}")
            self.bind(chain[-1], alias.asname or alias.name, found)

    # ------------------------------------------------------------------ expressions
    def type_of(self, node: ast.AST | None, chain: Chain) -> str:
        if node is None:
            return ""
        cached = self.memo.get(id(node))
        if cached is not None:
            return cached
        self.memo[id(node)] = ""
        result = self._evaluate(node, chain)
        self.memo[id(node)] = result
        return result

    def _evaluate(self, node: ast.AST, chain: Chain) -> str:
        if isinstance(node, ast.Name):
            return self.lookup(chain, node.id)
        if isinstance(node, ast.Await):
            return self.type_of(node.value, chain)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                owner = self._class(chain)
                return self.scopes.get(id(owner), {}).get("self." + node.attr, "") if owner else ""
            return self._member(self.type_of(node.value, chain), node.attr, self._attr_pos(node), called=False)
        if isinstance(node, ast.Call):
            return self._call(node, chain)
        if isinstance(node, ast.Subscript):
            return flow.element_of(self.type_of(node.value, chain))
        if isinstance(node, ast.IfExp):
            return self.type_of(node.body, chain) or self.type_of(node.orelse, chain)
        if isinstance(node, ast.BoolOp):
            return next((t for t in (self.type_of(v, chain) for v in node.values) if t), "")
        if isinstance(node, ast.NamedExpr):
            return self.type_of(node.value, chain)
        return ""

    def _pass_arguments(self, node: ast.Call, chain: Chain) -> None:
        """``helper(client)`` / ``self.helper(client)``: the helper's parameters get the arguments' types."""
        function = node.func
        target = None
        if isinstance(function, ast.Name) and function.id in self.functions:
            target, skip = self.functions[function.id], 0
        elif isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name) \
                and function.value.id == "self" and function.attr in self.functions:
            target, skip = self.functions[function.attr], 1
        if target is None:
            return
        params = [*target.args.posonlyargs, *target.args.args][skip:]
        for param, arg in zip(params, node.args, strict=False):
            if not isinstance(arg, ast.Starred):
                self.bind(target, param.arg, self.type_of(arg, chain))
        by_name = {a.arg for a in [*params, *target.args.kwonlyargs]}
        for keyword in node.keywords:
            if keyword.arg in by_name:
                self.bind(target, keyword.arg, self.type_of(keyword.value, chain))

    def _call(self, node: ast.Call, chain: Chain) -> str:
        self._pass_arguments(node, chain)
        function = node.func
        if isinstance(function, ast.Attribute) and not (isinstance(function.value, ast.Name)
                                                         and function.value.id == "self"):
            owner = self.type_of(function.value, chain)
            position = self._attr_pos(function)
            callee = self._member(owner, function.attr, position, called=True)
            self.memo[id(function)] = callee
        else:
            callee = self.type_of(function, chain)
            position = self.pos(node.lineno, node.col_offset)
        info = self.model.get_type(callee) if callee else None
        if info is not None and info.new is not None and info.call is None:
            return self.tracker.construct(callee, position)
        return self.tracker.call(callee, position)

    def _member(self, owner: str, attr: str, position: Pos, *, called: bool) -> str:
        if owner.startswith("pyns:"):
            return self.project.member(owner[5:], attr) if self.project is not None else ""
        return self.tracker.member(owner, attr, position, called=called)

    def annotation(self, node: ast.expr, chain: Chain) -> str:
        """The Twilio instance type an annotation names (``Client``, ``Client | None``, ``Optional[Client]``)."""
        candidates: Sequence[ast.expr]
        if isinstance(node, ast.BinOp):
            candidates = (node.left, node.right)
        elif isinstance(node, ast.Subscript):
            inner = node.slice
            candidates = inner.elts if isinstance(inner, ast.Tuple) else (inner,)
        else:
            bound = self.type_of(node, chain) if isinstance(node, (ast.Name, ast.Attribute)) else ""
            return self.model.instance_of(bound) if bound and not bound.startswith("fn:") else ""
        return next((t for t in (self.annotation(c, chain) for c in candidates) if t), "")
