"""Expressions of the JS front end: the Twilio type of a value, and the findings its evaluation records."""

from __future__ import annotations

from tree_sitter import Node

from . import flow
from .js_scope import FUNCTIONS, JsScopes, string_value, text

TRANSPARENT = frozenset({"parenthesized_expression", "await_expression", "non_null_expression",
                         "satisfies_expression", "type_assertion", "spread_element"})


class JsExpressions(JsScopes):
    """``type_of`` and what it needs: members, calls, modules, annotations, function results."""

    def type_of(self, node: Node | None) -> str:
        if node is None:
            return ""
        cached = self.memo.get(node.id)
        if cached is not None:
            return cached
        self.memo[node.id] = ""  # a self-referencing expression ends here
        result = self._evaluate(node)
        self.memo[node.id] = result
        return result

    def _evaluate(self, node: Node) -> str:
        kind = node.type
        if kind in TRANSPARENT:
            return self.type_of(next((c for c in node.children if c.is_named), None))
        if kind == "as_expression":
            named = [c for c in node.children if c.is_named]
            asserted = self.annotation(named[-1]) if len(named) > 1 else ""
            return asserted or self.type_of(named[0] if named else None)
        if kind == "identifier":
            return self.lookup(node, text(node))
        if kind == "member_expression":
            return self._member_expression(node)
        if kind == "subscript_expression":
            target, index = node.child_by_field_name("object"), node.child_by_field_name("index")
            key = string_value(index)
            if key is not None:
                return self.member(self.type_of(target), key, index, called=False)  # type: ignore[arg-type]
            return flow.element_of(self.type_of(target))
        if kind == "call_expression":
            return self._call(node)
        if kind == "new_expression":
            type_name = self.type_of(node.child_by_field_name("constructor"))
            if type_name.startswith("cls:"):
                return "obj:" + type_name[4:]
            return self.tracker.construct(type_name, self.pos(node))
        if kind in FUNCTIONS:
            return "fn:" + self.returns(node)
        if kind == "ternary_expression":
            return (self.type_of(node.child_by_field_name("consequence"))
                    or self.type_of(node.child_by_field_name("alternative")))
        if kind == "binary_expression" and text(node.child_by_field_name("operator")) in ("||", "??", "&&"):
            return self.type_of(node.child_by_field_name("left")) or self.type_of(node.child_by_field_name("right"))
        if kind == "assignment_expression":
            return self.type_of(node.child_by_field_name("right"))
        if kind == "sequence_expression":
            named = [c for c in node.children if c.is_named]
            return self.type_of(named[-1]) if named else ""
        return ""

    # ------------------------------------------------------------------ members
    def _member_expression(self, node: Node) -> str:
        target, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if target is None or prop is None:
            return ""
        parent = node.parent
        function = parent.child_by_field_name("function") if parent is not None else None
        called = parent is not None and parent.type == "call_expression" and function is not None \
            and function.id == node.id
        if target.type == "this":
            body = self.class_body(node)
            return self.lookup(body, "this." + text(prop)) if body is not None else ""
        return self.member(self.type_of(target), text(prop), prop, called=called)

    def member(self, type_name: str, name: str, node: Node, *, called: bool, record: bool = True) -> str:
        if type_name.startswith("ref:"):
            return type_name[4:] if name == "current" else ""
        if type_name.startswith("jsns:"):
            return self.export_of(type_name, name, node)
        if type_name.startswith("obj:"):
            return self._object_member(type_name, name)
        if type_name.startswith("cls:") or not type_name:
            return ""
        if not record:
            info = self.model.get_type(type_name)
            if info is None:
                return ""
            return info.props.get(name, f"method:{type_name}#{name}" if name in info.methods else "")
        return self.tracker.member(type_name, name, self.pos(node), called=called)

    def _object_member(self, type_name: str, name: str) -> str:
        owner = self.project.classes.get("cls:" + type_name[4:])
        if owner is None:
            return ""
        analyser, declaration = owner
        body = declaration.child_by_field_name("body")
        if body is None:
            return ""
        bound: str = analyser.scopes.get(body.id, {}).get("this." + name, "")
        if bound:
            return bound
        for method in (c for c in body.children if c.type == "method_definition"):
            if text(method.child_by_field_name("name")) == name and isinstance(analyser, JsExpressions):
                return "fn:" + analyser.returns(method)
        return ""

    # ------------------------------------------------------------------ calls
    def _call(self, node: Node) -> str:
        function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        args = [c for c in arguments.children if c.is_named] if arguments is not None else []
        if function is None:
            return ""
        if function.type == "import" or (function.type == "identifier" and text(function) == "require"
                                         and not self.is_bound(function, "require")):
            spec = string_value(args[0]) if args else None
            return self.module_type(spec, node) if spec is not None else ""
        hook = text(function).rsplit(".", 1)[-1]
        if hook in ("useState", "useRef") and function.type in ("identifier", "member_expression"):
            generic = node.child_by_field_name("type_arguments")
            held = self.annotation(generic) if generic is not None else ""
            held = held or (self.type_of(args[0]) if args else "")
            return ("state:" if hook == "useState" else "ref:") + held
        if function.type == "member_expression":
            handled = self._method_call(function, args)
            if handled is not None:
                return handled
        local = function.type == "identifier" and text(function) in self.functions
        if local or (function.type == "member_expression" and text(function.child_by_field_name("object")) == "this"):
            self.bind_callback(function, tuple(self.type_of(a) for a in args))  # helper(conversation) in this file
        callee = self.type_of(function)
        if callee.startswith("cls:"):
            return ""
        if callee.startswith("setter:"):
            self.apply_setter(callee, self.type_of(args[0]) if args else "")
            return ""
        anchor = function.child_by_field_name("property") if function.type == "member_expression" else function
        result = self.tracker.call(callee, self.pos(anchor or function))
        if callee.startswith("method:"):
            self._options(callee[len("method:"):], args)
        return result

    def _method_call(self, function: Node, args: list[Node]) -> str | None:
        """``x.on(event, cb)`` and ``x.then(cb)`` (their type; None if the call goes on as a plain call), and
        callbacks of array-like methods (``items.forEach(cb)``) bound to the element type."""
        prop = function.child_by_field_name("property")
        target = function.child_by_field_name("object")
        method = text(prop)
        event = string_value(args[0]) if args else None
        if method in flow.EVENT_METHODS and event is not None and prop is not None:
            payload = self.tracker.event(self.type_of(target), event, self.pos(prop), method)
            if len(args) > 1:
                self.bind_callback(args[1], payload)
            return ""
        if method == "then":
            if args and self.type_of(args[0]).startswith("setter:"):
                self.apply_setter(self.type_of(args[0]), self.type_of(target))  # .then(setConversation)
            elif args:
                self.bind_callback(args[0], (self.type_of(target),))
            return self.returns(args[0]) if args and args[0].type in FUNCTIONS else ""
        if method in flow.CALLBACK_METHODS and args:
            element = flow.element_of(self.type_of(target))
            if element:
                self.bind_callback(args[0], (element,))
        return None

    def _options(self, method_key: str, args: list[Node]) -> None:
        index = self.model.options.get(method_key)
        if index is None or len(args) <= index or args[index].type != "object":
            return
        label = self.model.label(method_key.partition("#")[0]) + "." + method_key.partition("#")[2] + "()"
        for item in args[index].children:
            key = item.child_by_field_name("key") if item.type == "pair" else (
                item if item.type == "shorthand_property_identifier" else None)
            if key is not None:
                self.tracker.option(method_key, text(key).strip("'\""), self.pos(key), label)

    def bind_callback(self, handler: Node | None, types: tuple[str, ...]) -> None:
        """Give a handler's parameters the types of the values it will be called with."""
        if handler is None or not any(types):
            return
        if handler.type == "identifier":
            declared = self.functions.get(text(handler))
            if declared is None:
                return
            handler = declared
        elif handler.type == "member_expression" and text(handler.child_by_field_name("object")) == "this":
            body = self.class_body(handler)  # room.on("x", this.onX): the class's own method
            name = text(handler.child_by_field_name("property"))
            method = next((c for c in body.children if c.type == "method_definition"
                           and text(c.child_by_field_name("name")) == name), None) if body is not None else None
            if method is None:
                return
            handler = method
        if handler.type not in FUNCTIONS:
            return
        single = handler.child_by_field_name("parameter")
        params = handler.child_by_field_name("parameters")
        nodes = [single] if single is not None else [c for c in params.children if c.is_named] if params else []
        for param, type_name in zip(nodes, types, strict=False):
            if param.type in ("required_parameter", "optional_parameter"):
                param = param.child_by_field_name("pattern") or param
            if param.type == "assignment_pattern":
                param = param.child_by_field_name("left") or param
            if type_name:
                self.bind_pattern(param, type_name, handler)

    def bind_pattern(self, pattern: Node, type_name: str, scope: Node) -> None:
        if pattern.type == "identifier":
            self.bind(scope, text(pattern), type_name)
        elif pattern.type == "object_pattern" and type_name:
            for item in pattern.children:
                if item.type == "shorthand_property_identifier_pattern":
                    self.bind(scope, text(item), self.member(type_name, text(item), item, called=False))
                elif item.type == "pair_pattern":
                    key, target = item.child_by_field_name("key"), item.child_by_field_name("value")
                    if key is not None and target is not None:
                        self.bind_pattern(target, self.member(type_name, text(key), key, called=False), scope)
        elif pattern.type == "array_pattern" and type_name.startswith("state:"):
            names = [c for c in pattern.children if c.type == "identifier"]
            if names:  # const [conversation, setConversation] = useState(...)
                self.bind(scope, text(names[0]), type_name[len("state:"):])
            if len(names) > 1:
                self.bind(scope, text(names[1]), f"setter:{scope.id}:{text(names[0])}")
        elif pattern.type == "array_pattern" and flow.element_of(type_name):
            for item in pattern.children:
                if item.type == "identifier":
                    self.bind(scope, text(item), flow.element_of(type_name))

    def apply_setter(self, setter: str, value: str) -> None:
        """``setConversation(value)``: the state variable now holds ``value``'s type."""
        _, scope_id, name = setter.split(":", 2)
        if value and not value.startswith(("fn:", "setter:")):
            self.bind_id(int(scope_id), name, value)

    # ------------------------------------------------------------------ modules, annotations, results
    def module_type(self, spec: str, node: Node) -> str:
        """The type a module specifier gives; records the import finding for a Twilio package."""
        package = self.model.js_package(spec)
        if package is not None:
            self.tracker.record_key(f"import:{package}", self.pos(node), f"import '{spec}'")
            return self.model.js_modules[package]
        target = self.project.resolve(spec, self.path)
        return f"jsns:{target}" if target else ""

    def export_of(self, module_type: str, name: str, node: Node) -> str:
        if module_type.startswith("jsns:"):
            exports = self.project.analyze(module_type[5:]).exports
            if name == "default":
                return exports.get("default", exports.get("module.exports", module_type))
            return exports.get(name, "")
        if name == "default" or not module_type:
            return module_type
        return self.member(module_type, name, node, called=False, record=False)

    def annotation(self, annotation: Node) -> str:
        """The Twilio instance type a TS annotation names (``Conversation``, ``Client | null``, ``Promise<X>``)."""
        queue = [annotation]
        while queue:
            node = queue.pop(0)
            if node.type in ("type_identifier", "identifier"):
                bound = self.lookup(node, text(node))
                if bound and not bound.startswith(("fn:", "jsns:", "method:")):
                    return self.model.instance_of(bound)
            elif node.type == "nested_type_identifier":
                parts = text(node).split(".")
                bound = self.lookup(node, parts[0])
                for part in parts[1:]:
                    bound = self.member(bound, part, node, called=False, record=False)
                if bound:
                    return self.model.instance_of(bound)
            elif node.type == "array_type":
                inner = self.annotation(node.children[0]) if node.children else ""
                return inner + "[]" if inner else ""
            queue.extend(node.children)
        return ""

    def returns(self, function: Node) -> str:
        """The type a function returns (its expression body, or its first typed ``return``)."""
        body = function.child_by_field_name("body")
        if body is None:
            return ""
        if body.type != "statement_block":
            return self.type_of(body)
        stack = list(body.children)
        while stack:
            node = stack.pop()
            if node.type in FUNCTIONS or node.type == "class_body":
                continue
            if node.type == "return_statement":
                value = next((c for c in node.children if c.is_named), None)
                type_name = self.type_of(value)
                if type_name:
                    return type_name
            stack.extend(node.children)
        return ""
