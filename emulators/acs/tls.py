"""HTTPS material: a trustme CA (new, or reused from ``--cert-dir``), a loopback leaf, a CA bundle."""

from __future__ import annotations

import fcntl
import os
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import certifi
import trustme

CA_CERT = "acs-emulator-ca.pem"
CA_KEY = "acs-emulator-ca-key.pem"
BUNDLE = "acs-emulator-ca-bundle.pem"
HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsMaterial:
    """The server's SSL context and the files clients need to trust it."""

    context: ssl.SSLContext
    ca_file: Path
    bundle_file: Path


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise stand-ins that share a ``--cert-dir`` while they create or rewrite its files."""
    with (directory / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    """Readers never see a half-written file (another process may be reading the bundle)."""
    if path.is_file() and path.read_text(encoding="ascii") == text:
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text)
    os.replace(temporary, path)


def load_or_create_ca(cert_dir: Path | None) -> tuple[trustme.CA, Path]:
    """Reuse ``cert_dir``'s CA when both PEM files exist there; otherwise make one (and save it there)."""
    directory = cert_dir if cert_dir is not None else Path(tempfile.mkdtemp(prefix="acs-emulator-"))
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        return _load_or_create(directory), directory


def _load_or_create(directory: Path) -> trustme.CA:
    cert_path, key_path = directory / CA_CERT, directory / CA_KEY
    if cert_path.is_file() and key_path.is_file():
        ca = trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
    else:
        ca = trustme.CA(organization_name="ACS emulator")
        _write_atomically(key_path, ca.private_key_pem.bytes().decode("ascii"), mode=0o600)
        _write_atomically(cert_path, ca.cert_pem.bytes().decode("ascii"))
    return ca


def prepare_tls(cert_dir: Path | None, extra_hosts: tuple[str, ...] = ()) -> TlsMaterial:
    """Issue a leaf for loopback names (plus ``extra_hosts``) and write certifi + CA as one bundle."""
    ca, directory = load_or_create_ca(cert_dir)
    leaf = ca.issue_cert(*dict.fromkeys((*HOSTS, *extra_hosts)))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    bundle = directory / BUNDLE
    roots = Path(certifi.where()).read_text(encoding="ascii")
    with _locked(directory):
        _write_atomically(bundle, roots.rstrip("\n") + "\n" + ca.cert_pem.bytes().decode("ascii"))
    return TlsMaterial(context=context, ca_file=directory / CA_CERT, bundle_file=bundle)
