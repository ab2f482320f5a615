"""``lazy``: a ``functools.cached_property`` that builds its value once, even when threads race.

``cached_property`` has no lock since Python 3.12, so two threads reading an unbuilt attribute
can both build it (two SDK clients, two caches). ``lazy`` builds under a lock per attribute and
stores the value in the instance's ``__dict__``, where later reads find it without locking. A
build that raises stores nothing; the next read tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

Obj = TypeVar("Obj")
T = TypeVar("T")


class lazy(Generic[Obj, T]):  # lower case, like the property it replaces
    """A read-only attribute built by the decorated method on first read, at most once per instance."""

    def __init__(self, build: Callable[[Obj], T]) -> None:
        self._build = build
        self._name = build.__name__
        self._lock = threading.RLock()  # re-entrant: a build that reads its own attribute fails loudly, not hangs
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> lazy[Obj, T]: ...

    @overload
    def __get__(self, instance: Obj, owner: type[Any] | None = None) -> T: ...

    def __get__(self, instance: Obj | None, owner: type[Any] | None = None) -> lazy[Obj, T] | T:
        if instance is None:
            return self
        cache: dict[str, Any] = instance.__dict__
        if self._name in cache:
            value: T = cache[self._name]
            return value
        with self._lock:
            if self._name not in cache:  # another thread may have built it while this one waited
                cache[self._name] = self._build(instance)
            built: T = cache[self._name]
            return built
