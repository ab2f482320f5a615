"""JavaScript/TypeScript front end: follows Twilio values through a tree-sitter syntax tree.

The file is walked three times so that a value assigned below its use (a class field set in ``init()``,
a function declared further down, a handler named before it is defined) is known on a later walk.
Nothing here evaluates the code.
"""

from __future__ import annotations

from tree_sitter import Node

from . import flow
from .js_expr import JsExpressions
from .js_scope import FUNCTIONS, text
from .jsproject import JsProject, ModuleResult
from .model import Note

PASSES = 3


def analyse_file(project: JsProject, path: str, source: bytes) -> ModuleResult:
    tree = project.parser(path).parse(source)
    result = ModuleResult()
    if tree.root_node.has_error:
        result.notes.append(Note(path, f"syntax errors from line {_first_error_line(tree.root_node)}; "
                                       "findings in the readable parts are kept"))
    analyser = JsFile(project, path, source, tree.root_node)
    analyser.run()
    result.exports = analyser.exports
    result.findings = list(analyser.tracker.findings.values())
    return result


def _first_error_line(node: Node) -> int:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            return current.start_point[0] + 1
        stack.extend(reversed([c for c in current.children if c.has_error or c.is_missing]))
    return node.start_point[0] + 1


class JsFile(JsExpressions):
    """Statements: imports, exports, declarations, assignments, parameters, loops."""

    def run(self) -> None:
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.type in ("function_declaration", "generator_function_declaration"):
                name = node.child_by_field_name("name")
                if name is not None:
                    self.functions[text(name)] = node
            elif node.type == "variable_declarator":  # const onMessage = (m) => ...
                name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name is not None and value is not None and value.type in FUNCTIONS:
                    self.functions[text(name)] = value
            stack.extend(node.children)
        for number in range(PASSES):
            self.memo = {}
            self.last_pass = number == PASSES - 1
            stack = [self.root]
            while stack:
                node = stack.pop()
                self._visit(node)
                stack.extend(reversed(node.children))

    def _visit(self, node: Node) -> None:
        kind = node.type
        if kind == "import_statement":
            self._import(node)
        elif kind == "export_statement":
            self._export(node)
        elif kind == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            type_name = self.type_of(value) or self._annotated(node)
            if name is not None:
                self.bind_pattern(name, type_name, self.scope_of(node))
        elif kind == "assignment_expression":
            self._assignment(node)
        elif kind in ("function_declaration", "generator_function_declaration", "class_declaration"):
            name = node.child_by_field_name("name")
            if name is not None:
                self.bind(self.scope_of(node), text(name), self._declared_type(node))
        elif kind in ("required_parameter", "optional_parameter"):
            self._parameter(node)
        elif kind == "public_field_definition":
            name, body = node.child_by_field_name("name"), self.class_body(node)
            if name is not None and body is not None:
                type_name = self.type_of(node.child_by_field_name("value")) or self._annotated(node)
                self.bind(body, "this." + text(name), type_name)
        elif kind == "for_in_statement":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            element = flow.element_of(self.type_of(right))
            if left is not None and element and text(node.child_by_field_name("operator")) == "of":
                self.bind_pattern(left, element, node)
        elif kind in ("call_expression", "new_expression", "member_expression", "subscript_expression"):
            self.type_of(node)

    def _annotated(self, node: Node) -> str:
        annotation = node.child_by_field_name("type")
        return self.annotation(annotation) if annotation is not None else ""

    def _declared_type(self, node: Node) -> str:
        if node.type != "class_declaration":
            return "fn:" + self.returns(node)
        key = f"cls:{self.path}:{node.id}"
        self.project.classes[key] = (self, node)
        return key

    def _parameter(self, node: Node) -> None:
        pattern = node.child_by_field_name("pattern")
        type_name = self._annotated(node)
        if pattern is None or pattern.type != "identifier" or not type_name:
            return
        self.bind(self.scope_of(node), text(pattern), type_name)
        body = self.class_body(node)
        if body is not None and any(c.type == "accessibility_modifier" for c in node.children):
            self.bind(body, "this." + text(pattern), type_name)  # constructor(private conv: Conversation)

    # ------------------------------------------------------------------ modules
    def _import(self, node: Node) -> None:
        spec = node.child_by_field_name("source")
        value = spec.text.decode("utf-8", "replace")[1:-1] if spec is not None and spec.text else None
        if value is None:
            return
        module_type = self.module_type(value, node)
        for clause in (c for c in node.children if c.type == "import_clause"):
            for part in clause.children:
                if part.type == "identifier":
                    self.bind(self.root, text(part), self.export_of(module_type, "default", part))
                elif part.type == "namespace_import":
                    alias = next((c for c in part.children if c.type == "identifier"), None)
                    if alias is not None:
                        self.bind(self.root, text(alias), module_type)
                elif part.type == "named_imports":
                    for item in (c for c in part.children if c.type == "import_specifier"):
                        name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
                        self.bind(self.root, text(alias or name), self.export_of(module_type, text(name), item))

    def _export(self, node: Node) -> None:
        source = node.child_by_field_name("source")
        clause = next((c for c in node.children if c.type == "export_clause"), None)
        specifiers = [c for c in clause.children if c.type == "export_specifier"] if clause is not None else []
        if source is not None and source.text:
            module_type = self.module_type(source.text.decode("utf-8", "replace")[1:-1], node)
            namespace = next((c for c in node.children if c.type == "namespace_export"), None)
            for item in specifiers:
                name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
                self.exports[text(alias or name)] = self.export_of(module_type, text(name), item)
            if namespace is not None:
                alias = next((c for c in namespace.children if c.is_named), None)
                self.exports[text(alias).strip("'\"")] = module_type
            elif clause is None:
                self._export_all(module_type)
            return
        if not self.last_pass:
            return
        declaration, value = node.child_by_field_name("declaration"), node.child_by_field_name("value")
        if declaration is not None:
            for declared in self._declared_names(declaration):
                self.exports[declared] = self.lookup(declaration, declared)
            if any(c.type == "default" for c in node.children):
                self.exports["default"] = self._declared_type(declaration)
        elif value is not None:
            self.exports["default"] = self.type_of(value)
        for item in specifiers:
            name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
            self.exports[text(alias or name)] = self.lookup(node, text(name))

    def _export_all(self, module_type: str) -> None:
        if module_type.startswith("jsns:"):
            for name, type_name in self.project.analyze(module_type[5:]).exports.items():
                if name not in ("default", "module.exports"):
                    self.exports.setdefault(name, type_name)
            return
        info = self.model.get_type(module_type)
        if info is not None:
            for name, type_name in info.props.items():
                self.exports.setdefault(name, type_name)
            for name in info.methods:
                self.exports.setdefault(name, f"method:{module_type}#{name}")

    @staticmethod
    def _declared_names(declaration: Node) -> list[str]:
        if declaration.type in ("lexical_declaration", "variable_declaration"):
            names = [d.child_by_field_name("name") for d in declaration.children if d.type == "variable_declarator"]
            return [text(n) for n in names if n is not None and n.type == "identifier"]
        name = declaration.child_by_field_name("name")
        return [text(name)] if name is not None else []

    def _assignment(self, node: Node) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return
        type_name = self.type_of(right)
        if left.type == "identifier":
            self.bind(self.declaring_scope(node, text(left)), text(left), type_name)
            return
        if left.type != "member_expression":
            return
        target, prop = left.child_by_field_name("object"), text(left.child_by_field_name("property"))
        if target is not None and target.type == "identifier" and prop == "current" \
                and self.lookup(node, text(target)).startswith("ref:"):  # clientRef.current = new Client(...)
            self.bind(self.declaring_scope(node, text(target)), text(target), "ref:" + type_name)
        elif target is not None and target.type == "this":
            body = self.class_body(node)
            if body is not None:
                self.bind(body, "this." + prop, type_name)
        elif not self.last_pass:
            return
        elif text(target) == "module" and prop == "exports":
            self.exports["module.exports"] = type_name
            for item in right.children if right.type == "object" else ():
                if item.type == "shorthand_property_identifier":
                    self.exports[text(item)] = self.lookup(right, text(item))
                elif item.type == "pair":
                    self.exports[text(item.child_by_field_name("key"))] = self.type_of(
                        item.child_by_field_name("value"))
        elif text(target) in ("exports", "module.exports"):
            self.exports[prop] = type_name
