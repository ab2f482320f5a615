"""HTTPS material: a trustme CA (new, or reused from ``--cert-dir``), a loopback leaf, a CA bundle."""

from __future__ import annotations

import ssl
import tempfile
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


def load_or_create_ca(cert_dir: Path | None) -> tuple[trustme.CA, Path]:
    """Reuse ``cert_dir``'s CA when both PEM files exist there; otherwise make one (and save it there)."""
    directory = cert_dir if cert_dir is not None else Path(tempfile.mkdtemp(prefix="acs-emulator-"))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / CA_CERT, directory / CA_KEY
    if cert_path.is_file() and key_path.is_file():
        ca = trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
    else:
        ca = trustme.CA(organization_name="ACS emulator")
        ca.cert_pem.write_to_path(str(cert_path))
        ca.private_key_pem.write_to_path(str(key_path))
        key_path.chmod(0o600)
    return ca, directory


def prepare_tls(cert_dir: Path | None, extra_hosts: tuple[str, ...] = ()) -> TlsMaterial:
    """Issue a leaf for loopback names (plus ``extra_hosts``) and write certifi + CA as one bundle."""
    ca, directory = load_or_create_ca(cert_dir)
    leaf = ca.issue_cert(*dict.fromkeys((*HOSTS, *extra_hosts)))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    bundle = directory / BUNDLE
    roots = Path(certifi.where()).read_text(encoding="ascii")
    bundle.write_text(roots.rstrip("\n") + "\n" + ca.cert_pem.bytes().decode("ascii"), encoding="ascii")
    return TlsMaterial(context=context, ca_file=directory / CA_CERT, bundle_file=bundle)
