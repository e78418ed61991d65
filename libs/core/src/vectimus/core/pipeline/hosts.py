"""The network hosts a command or a web request names, spelled one way.

Hosts are canonical so that one rule matches every spelling: lower case, no trailing dot,
and IP literals in their standard form whatever form they were written in
(``2852039166``, ``0xA9FEA9FE``, ``0251.0376.0251.0376`` and ``[::ffff:169.254.169.254]`` are
all ``169.254.169.254``). ``domains`` adds each name's parent domains, so a rule can name
``ngrok.io`` and match ``abc.eu.ngrok.io``, and the IP embedded in wildcard-DNS names such as
``169.254.169.254.nip.io`` (which resolve to it). Pure functions; nothing is resolved.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

# ``scheme://...`` anywhere in a word, including ``git+https://`` and ``--url=https://``.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,15}://[^\s'\"<>`|;)]+")
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")
# A host written without a scheme: ``example.com``, ``10.0.0.1:8080/x``, ``user@host``.
_BARE = re.compile(
    r"(?:[\w.+-]+@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?)"
    r"(?::\d{1,5})?(?:[/?#$].*)?"
)
_EMBEDDED_V4 = re.compile(r"(?<![0-9])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?![0-9])")
_EMBEDDED_HEX = re.compile(r"(?:^|[.-])([0-9a-f]{8})(?:$|[.-])")
# Wildcard DNS services: any name under them resolves to the IP written in the name.
_WILDCARD_DNS = ("nip.io", "sslip.io", "xip.io", "traefik.me", "backname.io")
# Names that always resolve to the loopback address.
_LOOPBACK_NAMES = ("localhost", "localtest.me", "lvh.me", "vcap.me")
_LOCAL_SUFFIXES = (".localhost", ".localtest.me", ".lvh.me", ".vcap.me")
_INTERNAL_SUFFIXES = (".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp")
_LOCAL_EXTRA = frozenset({"host.docker.internal", "host.containers.internal"})
# Dotted words that are file names, not hosts (``curl -o out.json ...``).
_FILE_SUFFIXES = frozenset(
    {
        "json", "txt", "sh", "py", "js", "ts", "html", "htm", "xml", "csv", "tsv", "gz", "tgz",
        "zip", "tar", "bz2", "xz", "log", "md", "yml", "yaml", "toml", "pem", "key", "crt", "cer",
        "out", "bin", "conf", "cfg", "ini", "lock", "env", "sql", "db", "sqlite", "png", "jpg",
        "jpeg", "gif", "svg", "pdf", "whl", "so", "rb", "go", "rs", "java", "class", "jar", "war",
        "c", "h", "cpp", "o", "a", "deb", "rpm", "dmg", "exe", "msi", "iso", "img", "raw", "tmp",
        "bak", "pid", "sock", "ps1", "bat", "cmd", "lst", "list", "diff", "patch", "asc", "sig",
        "gpg", "pub",
    }
)  # fmt: skip


def canonical_host(host: str) -> str:
    """``host`` in one spelling: lower case, no brackets or trailing dot, IPs standard."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    ip = _ip(host)
    return str(ip) if ip is not None else host


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not host:
        return None
    if ":" in host:
        try:
            address = ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
        return address.ipv4_mapped or address
    if not _NUMERIC_HOST.fullmatch(host) or not any(c.isdigit() for c in host):
        return None
    try:
        # inet_aton reads every form the C resolver accepts: 1.2.3.4, 0x01020304, 16909060,
        # 01.02.03.04 and the short forms 1.2.772 and 1.131844.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def url_host(url: str) -> str:
    """The canonical host of one URL, or "" when it has none."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return canonical_host(host)


def hosts_in_text(text: str) -> list[str]:
    """Canonical hosts of every ``scheme://`` URL in ``text``."""
    if "://" not in text:
        return []
    found = []
    for match in _URL.finditer(text):
        url = match.group(0)
        if "+" in url.split("://", 1)[0]:
            url = url.split("+", 1)[1]  # git+https://host -> https://host
        host = url_host(url)
        if host:
            found.append(host)
    return found


def bare_host(word: str) -> str:
    """The host of a word written without a scheme (``curl example.com/x``), else ""."""
    if not word or word[0] in "-@./~$<>(" or "://" in word or " " in word:
        return ""
    match = _BARE.fullmatch(word)
    if match is None:
        return ""
    host = canonical_host(match.group(1))
    if _ip(host) is not None or host == "localhost":
        return host
    labels = host.split(".")
    if len(labels) < 2 or not labels[-1].isalpha() or labels[-1] in _FILE_SUFFIXES:
        return ""
    return host


def embedded_ip(host: str) -> str:
    """The IP a wildcard-DNS name stands for (``10-0-0-1.nip.io`` -> ``10.0.0.1``), else ""."""
    for service in _WILDCARD_DNS:
        if host.endswith("." + service):
            prefix = host[: -len(service) - 1]
            dotted = _EMBEDDED_V4.findall(prefix)
            if dotted:
                candidate = ".".join(dotted[-1])
                ip = _ip(candidate)
                return str(ip) if ip is not None else ""
            hexed = _EMBEDDED_HEX.findall(prefix)
            if hexed:
                return str(ipaddress.IPv4Address(int(hexed[-1], 16)))
            return ""
    if host in _LOOPBACK_NAMES or host.endswith(_LOCAL_SUFFIXES):
        return "127.0.0.1"
    return ""


def domains(hosts: Iterable[str]) -> list[str]:
    """Each host, its parent domains (down to two labels) and any IP it embeds, in order."""
    out: dict[str, None] = {}
    for host in hosts:
        if not host:
            continue
        out[host] = None
        if _ip(host) is None:
            labels = host.split(".")
            for start in range(1, len(labels) - 1):
                out[".".join(labels[start:])] = None
        embedded = embedded_ip(host)
        if embedded:
            out[embedded] = None
    return list(out)


def is_local(host: str) -> bool:
    """The host is this machine: a loopback name or address (or the container host)."""
    if host in _LOCAL_EXTRA:
        return True
    ip = _ip(host)
    if ip is None:
        embedded = embedded_ip(host)
        ip = _ip(embedded) if embedded else None
    return ip is not None and (ip.is_loopback or ip.is_unspecified)


def is_internal(host: str) -> bool:
    """The host is not on the public internet: local, private, link-local or an intranet name."""
    if not host:
        return False
    ip = _ip(host)
    if ip is None:
        embedded = embedded_ip(host)
        ip = _ip(embedded) if embedded else None
    if ip is not None:
        return bool(
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_unspecified
            or ip.is_reserved
            or ip.is_multicast
            or ip in _SHARED_V4
        )
    if "." not in host:
        return True  # a single-label name only resolves on an intranet (or via /etc/hosts)
    return host in _LOCAL_EXTRA or host.endswith(_INTERNAL_SUFFIXES + _LOCAL_SUFFIXES)


_SHARED_V4 = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, Alibaba metadata
