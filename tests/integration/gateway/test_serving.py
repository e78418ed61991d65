"""The other ways to serve: granian's own CLI with the factory, and TLS through granian."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.redis_server import free_port

from .conftest import AUTH, Gateway, Proc, base_env, bash

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def test_granian_factory_reads_the_environment(home: Path) -> None:
    port = free_port()
    argv = [
        str(Path(sys.executable).with_name("granian")),
        "--interface", "asgi", "--factory", "vectimus.gateway.app:create_app",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    proc = Proc(argv, base_env(home, VECTIMUS_OBSERVE="true"), home / "gateway.log").start()
    gateway = Gateway(f"http://127.0.0.1:{port}", proc)
    try:
        gateway.wait("/ready")
        answer = gateway.post(bash("rm -rf /", hook=True)).json()
        assert answer["decision"] == "allow"  # observe mode, from VECTIMUS_OBSERVE
        assert "observe mode" in answer["reason"]
        assert gateway.get("/policies", auth=False).status_code == 401  # keys from the env
    finally:
        gateway.stop()


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "tls.crt", directory / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_tls_through_granian(home: Path) -> None:
    cert, key = self_signed(home)
    port = free_port()
    argv = [
        str(Path(sys.executable).with_name("vectimus")),
        "server", "start", "--port", str(port),
        "--ssl-certfile", str(cert), "--ssl-keyfile", str(key),
    ]  # fmt: skip
    proc = Proc(argv, base_env(home), home / "gateway.log").start()
    url = f"https://127.0.0.1:{port}"
    trusted = ssl.create_default_context(cafile=str(cert))
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/ready", verify=trusted, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        answer = httpx.post(
            f"{url}/evaluate", json=bash("ls"), headers=AUTH, verify=trusted, timeout=5
        )
        assert answer.status_code == 200
        assert answer.json()["decision"] == "allow"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    finally:
        proc.stop()
