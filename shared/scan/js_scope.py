"""Lexical scopes and bindings of one JavaScript/TypeScript file (the base of the JS front end)."""

from __future__ import annotations

from tree_sitter import Node

from .flow import Pos, Tracker
from .jsproject import JsProject

SCOPES = frozenset({"program", "statement_block", "function_declaration", "function_expression", "arrow_function",
                    "method_definition", "generator_function_declaration", "for_in_statement", "for_statement",
                    "class_body", "catch_clause"})
FUNCTIONS = frozenset({"function_declaration", "function_expression", "arrow_function", "method_definition",
                       "generator_function_declaration", "generator_function", "function"})


EMPTY = ("", "fn:", "ref:", "state:")  # no Twilio value known (yet): never replaces a known one


def text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def string_value(node: Node | None) -> str | None:
    """The value of a string literal (or a template without substitutions); None for anything else."""
    if node is None or node.type not in ("string", "template_string"):
        return None
    if node.type == "template_string" and any(c.type == "template_substitution" for c in node.children):
        return None
    return text(node)[1:-1]


class JsScopes:
    """Bindings per scope node; a binding is never downgraded from a Twilio type to unknown."""

    def __init__(self, project: JsProject, path: str, source: bytes, root: Node) -> None:
        self.project = project
        self.model = project.model
        self.path = path
        self.source = source
        self.root = root
        self.tracker = Tracker(project.model, project.book, path)
        self.scopes: dict[int, dict[str, str]] = {}
        self.exports: dict[str, str] = {}
        self.functions: dict[str, Node] = {}
        self.memo: dict[int, str] = {}
        self.last_pass = False

    def pos(self, node: Node) -> Pos:
        row, col = node.start_point
        line_start = node.start_byte - col
        return row + 1, len(self.source[line_start:node.start_byte].decode("utf-8", "replace")) + 1

    def scope_of(self, node: Node) -> Node:
        current = node.parent
        while current is not None and current.type not in SCOPES:
            current = current.parent
        return current or self.root

    def bind(self, scope: Node, name: str, type_name: str) -> None:
        self.bind_id(scope.id, name, type_name)

    def bind_id(self, scope_id: int, name: str, type_name: str) -> None:
        names = self.scopes.setdefault(scope_id, {})
        if type_name in EMPTY and names.get(name, "") not in EMPTY:
            return
        names[name] = type_name

    def lookup(self, node: Node, name: str) -> str:
        current: Node | None = node
        while current is not None:
            names = self.scopes.get(current.id)
            if names is not None and name in names:
                return names[name]
            current = current.parent
        return self.model.js_globals.get(name, "")

    def is_bound(self, node: Node, name: str) -> bool:
        current: Node | None = node
        while current is not None:
            if name in self.scopes.get(current.id, {}):
                return True
            current = current.parent
        return False

    def declaring_scope(self, node: Node, name: str) -> Node:
        current: Node | None = node
        while current is not None:
            if name in self.scopes.get(current.id, {}):
                return current
            current = current.parent
        return self.root

    def class_body(self, node: Node) -> Node | None:
        current = node.parent
        while current is not None and current.type != "class_body":
            current = current.parent
        return current
