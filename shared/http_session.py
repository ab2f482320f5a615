"""The HTTP session under the Azure SDK clients: requests' per-call work that azure-core never uses, done once.

azure-core's ``RequestsTransport`` calls ``session.request`` for every SDK call. A plain
``requests.Session`` then merges session settings, cookies, hooks and environment settings
(proxies, ``~/.netrc``) into each request, follows the redirect machinery even with redirects
off, and its adapter re-derives the connection pool key (parsing the URL, stat-ing the CA
bundle) each time: about a third of the CPU of one ACS send in an export
(``bench/export.py --profile``). ``SdkSession`` builds the same request and sends it through the
same adapter and connection pool:

* the URL: prepared (checked, IDNA host, re-quoted) as requests prepares it, once per distinct URL
  (an export sends every message of a thread to the same URL); headers validated and the body
  prepared by requests' own steps; no cookie header (there are none) and no credentials from
  the URL unless it carries some;
* headers: the session's defaults, then the request's (a ``None`` value removes one), as requests does;
* proxies: from the environment (``HTTPS_PROXY``, ``NO_PROXY``, ...) as requests reads them, once
  per scheme and host instead of per call; ``~/.netrc`` is never read (an entry there would
  replace the SDK's own ``Authorization`` header);
* cookies are neither sent nor kept (no Azure data-plane API used here relies on them);
* redirects are not followed (azure-core passes ``allow_redirects=False`` and follows them itself);
* errors: the adapter's own exceptions, unchanged, so azure-core maps them as before
  (``ServiceRequestError`` before the request left, ``ServiceResponseError`` after).

A call that uses anything else (params, auth, cookies, hooks, json, redirects) takes
``requests.Session.request`` unchanged.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from requests.utils import get_environ_proxies

SessionRequest = Any  # requests' own loosely-typed request arguments


def _origin(url: str) -> str:
    """``scheme://host:port`` of an absolute URL (everything before the path)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0].split('?', 1)[0].lower()}"


@lru_cache(maxsize=4096)
def _prepared_url(url: str) -> str:
    """``url`` as ``PreparedRequest.prepare_url`` makes it (no params); an invalid URL raises as there, uncached."""
    prepared = PreparedRequest()
    prepared.prepare_url(url, None)
    return str(prepared.url)


def _prepare(method: str, url: str, headers: Mapping[str, Any], data: Any, files: Any) -> PreparedRequest:
    """The request ``PreparedRequest.prepare`` would make with no params, cookies, auth, hooks or json."""
    prepared = PreparedRequest()
    prepared.prepare_method(method)
    prepared.url = _prepared_url(url)
    prepared.prepare_headers(headers)
    prepared.prepare_body(data, files)
    if "@" in _origin(prepared.url):  # credentials in the URL: requests turns them into basic auth
        prepared.prepare_auth(None, prepared.url)
    return prepared


class SdkAdapter(HTTPAdapter):
    """``HTTPAdapter`` whose connection pool key and CA-bundle check are worked out once per origin.

    requests derives both from the URL and the filesystem on every call; they depend only on
    the scheme, host and port and on ``verify``/``cert``, so they are kept per such key.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._pool_keys: dict[tuple[str, Any, Any], tuple[Any, Any]] = {}
        self._verified: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()
        self._verified_lock = threading.Lock()

    def build_connection_pool_key_attributes(
        self, request: PreparedRequest, verify: bool | str, cert: str | tuple[str, str] | None = None
    ) -> Any:
        key = (_origin(str(request.url)), verify, cert)
        found = self._pool_keys.get(key)
        if found is None:
            found = super().build_connection_pool_key_attributes(request, verify, cert)
            self._pool_keys[key] = found
        host_params, pool_kwargs = found
        return dict(host_params), dict(pool_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        with self._verified_lock:
            if self._verified.get(conn) == (verify, cert):
                return
        super().cert_verify(conn, url, verify, cert)  # type: ignore[no-untyped-call]
        with self._verified_lock:
            self._verified[conn] = (verify, cert)


class SdkSession(requests.Session):
    """A ``requests.Session`` for azure-core's ``RequestsTransport`` (see the module docstring)."""

    def __init__(self, *, pool_size: int = 64) -> None:
        super().__init__()
        self.trust_env = False  # environment proxies are read per origin below, ~/.netrc never
        adapter = SdkAdapter(pool_connections=4, pool_maxsize=pool_size)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self._env_proxies: dict[str, dict[str, str]] = {}

    def proxies_for(self, url: str) -> dict[str, str]:
        """The environment's proxies for ``url`` (honouring ``NO_PROXY``), read once per origin."""
        origin = _origin(url)
        found = self._env_proxies.get(origin)
        if found is None:
            found = dict(get_environ_proxies(origin))
            self._env_proxies[origin] = found
        return found

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: SessionRequest = None,
        data: SessionRequest = None,
        headers: Mapping[str, str | None] | None = None,
        cookies: SessionRequest = None,
        files: SessionRequest = None,
        auth: SessionRequest = None,
        timeout: SessionRequest = None,
        allow_redirects: bool = True,
        proxies: MutableMapping[str, str] | None = None,
        hooks: SessionRequest = None,
        stream: bool | None = None,
        verify: bool | str | None = None,
        cert: SessionRequest = None,
        json: SessionRequest = None,
    ) -> requests.Response:
        if (params or cookies or auth or hooks or json is not None or allow_redirects
                or self.auth is not None or len(self.cookies) or any(self.hooks.values())):
            return super().request(
                method, url, params=params, data=data, headers=headers, cookies=cookies, files=files, auth=auth,
                timeout=timeout, allow_redirects=allow_redirects, proxies=proxies, hooks=hooks, stream=stream,
                verify=verify, cert=cert, json=json,
            )
        merged: CaseInsensitiveDict[Any] = CaseInsensitiveDict()
        merged.update(self.headers)
        for name, value in (headers or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        prepared = _prepare(method, url, merged, data or {}, files)
        # precedence as in requests: the call's proxies, then the environment's, then the session's
        chosen = {**self.proxies, **self.proxies_for(str(prepared.url)), **(proxies or {})}
        send_stream = self.stream if stream is None else stream
        response = self.get_adapter(url=str(prepared.url)).send(
            prepared, stream=send_stream, timeout=timeout, verify=self.verify if verify is None else verify,  # type: ignore[arg-type]
            cert=self.cert if cert is None else cert, proxies=chosen,
        )
        if not send_stream:
            response.content  # noqa: B018 - read the body now, as requests.Session.send does
        return response

