"""One pooled HTTP client per subscriber host name, so a TLS connection is only reused for the name it was
verified for (deliveries connect to a checked IP address; the pool would otherwise key connections by IP)."""

from __future__ import annotations

import ssl
import threading
from collections import OrderedDict
from collections.abc import Callable

import httpx

from .deadline import DeadlineTransport

MAX_CLIENTS = 256


def delivery_client(*, timeout: float, verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """A client for one subscriber host: no redirects, no proxies from the environment, and every socket
    operation bounded by the attempt deadline the deliverer sets (``deadline.attempt_deadline``)."""
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=8)
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                        transport=DeadlineTransport(limits=limits, verify=verify))


class HttpClientPool:
    """``get(scheme, host, port)`` returns that name's client, made by ``factory``; least recently used ones close."""

    def __init__(self, factory: Callable[[], httpx.Client], *, max_clients: int = MAX_CLIENTS) -> None:
        self._factory = factory
        self._max = max_clients
        self._clients: OrderedDict[tuple[str, str, int], httpx.Client] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, scheme: str, host: str, port: int) -> httpx.Client:
        key = (scheme, host.lower(), port)
        evicted: list[httpx.Client] = []
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._factory()
                self._clients[key] = client
                while len(self._clients) > self._max:
                    evicted.append(self._clients.popitem(last=False)[1])
            else:
                self._clients.move_to_end(key)
        for old in evicted:
            old.close()
        return client

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
