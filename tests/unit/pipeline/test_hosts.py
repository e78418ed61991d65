"""Host facts: one spelling per host, parent domains, embedded IPs, local and internal."""

from __future__ import annotations

import pytest

from vectimus.core.pipeline import hosts


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Example.COM.", "example.com"),
        ("169.254.169.254", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("0xA9FEA9FE", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("169.254.43518", "169.254.169.254"),
        ("[::ffff:169.254.169.254]", "169.254.169.254"),
        ("[FD00:EC2::254]", "fd00:ec2::254"),
        ("deadbeef", "deadbeef"),
        ("1.2.3.4.5", "1.2.3.4.5"),
    ],
)
def test_canonical_host(written: str, canonical: str) -> None:
    assert hosts.canonical_host(written) == canonical


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("curl https://user:pw@Api.Example.com:8443/x?y=1", ["api.example.com"]),
        ("pip install git+https://github.com/a/b@main", ["github.com"]),
        ("--index-url=https://pypi.example.net/simple", ["pypi.example.net"]),
        ("postgres://u:p@db.internal:5432/app and http://[::1]:80/", ["db.internal", "::1"]),
        ("no urls here", []),
    ],
)
def test_hosts_in_text(text: str, found: list[str]) -> None:
    assert hosts.hosts_in_text(text) == found


@pytest.mark.parametrize(
    ("word", "host"),
    [
        ("example.com", "example.com"),
        ("169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("10.0.0.1:8080", "10.0.0.1"),
        ("user@prod.example.net", "prod.example.net"),
        ("169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "169.254.170.2"),
        ("localhost:3000/api", "localhost"),
        ("out.json", ""),
        ("archive.tar.gz", ""),
        ("-o", ""),
        ("@payload.json", ""),
        ("./local/path", ""),
        ("POST", ""),
    ],
)
def test_bare_host(word: str, host: str) -> None:
    assert hosts.bare_host(word) == host


def test_domains_add_parents_and_embedded_ips() -> None:
    assert hosts.domains(["a.b.ngrok-free.app"]) == [
        "a.b.ngrok-free.app",
        "b.ngrok-free.app",
        "ngrok-free.app",
    ]
    assert "169.254.169.254" in hosts.domains(["169.254.169.254.nip.io"])
    assert "10.0.0.1" in hosts.domains(["app-10-0-0-1.sslip.io"])
    assert "10.0.0.1" in hosts.domains(["0a000001.nip.io"])
    assert hosts.domains(["10.0.0.1"]) == ["10.0.0.1"]


@pytest.mark.parametrize(
    ("host", "local", "internal"),
    [
        ("localhost", True, True),
        ("127.0.0.1", True, True),
        ("::1", True, True),
        ("0.0.0.0", True, True),
        ("app.localhost", True, True),
        ("127.0.0.1.nip.io", True, True),
        ("host.docker.internal", True, True),
        ("10.1.2.3", False, True),
        ("192.168.1.10", False, True),
        ("172.20.0.5", False, True),
        ("169.254.169.254", False, True),
        ("100.100.100.200", False, True),
        ("fd00:ec2::254", False, True),
        ("jenkins", False, True),
        ("git.corp", False, True),
        ("printer.local", False, True),
        ("example.com", False, False),
        ("8.8.8.8", False, False),
    ],
)
def test_local_and_internal(host: str, local: bool, internal: bool) -> None:
    assert hosts.is_local(host) is local
    assert hosts.is_internal(host) is internal
