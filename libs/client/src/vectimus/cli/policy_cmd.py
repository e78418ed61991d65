"""`vectimus policy bundle build | update | status | keygen`: signed policy bundles.

Exit status: 0 done; 1 a bundle was refused or could not be fetched (the policy set in
force is unchanged); 2 bad usage, configuration or key.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vectimus.core.bundles.install import Installation


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    bundle = sub.add_parser("bundle", help="build a bundle from a directory of packs")
    bundle_sub = bundle.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    build = bundle_sub.add_parser(
        "build",
        help="write DIR's packs, the schema and a signed manifest into one file",
        description="Compile (and so validate) the packs under DIR and write them, the Cedar "
        "schema and a manifest of SHA-256s, signed with --signing-key, to FILE.",
    )
    build.add_argument("directory", type=Path, metavar="DIR")
    build.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    build.add_argument(
        "--signing-key", type=Path, metavar="KEY", help="Ed25519 private key, PKCS#8 PEM (0600)"
    )
    update = sub.add_parser(
        "update",
        help="verify and install a bundle, then reload the daemon",
        description="Verify a bundle against [policies] trusted_keys, validate every policy, "
        "install it atomically and reload the daemon. A refused bundle changes nothing.",
    )
    update.add_argument(
        "--from",
        dest="source",
        metavar="URL|PATH",
        help="where the bundle is (default: [policies] bundle_url)",
    )
    status = sub.add_parser("status", help="the policy set in force: hash, origin, signer")
    status.add_argument("--format", choices=("text", "json"), default="text")
    keygen = sub.add_parser(
        "keygen",
        help="make a bundle signing key and print its public key for trusted_keys",
    )
    keygen.add_argument("-o", "--output", type=Path, required=True, metavar="KEYFILE")


def _fail(message: str, status: int) -> int:
    print(f"vectimus policy: {message}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    from vectimus.core.errors import VectimusError

    try:
        if args.policy_command == "bundle":
            return _build(args.directory, args.output, args.signing_key)
        if args.policy_command == "update":
            return _update(args.source)
        if args.policy_command == "keygen":
            return _keygen(args.output)
        from vectimus.cli.policy_status import show_status

        return show_status(args.format)
    except VectimusError as exc:
        return _fail(str(exc), 2)
    except OSError as exc:  # the policies directory cannot be written, say
        return _fail(f"{exc.filename or ''}: {exc.strerror or exc}", 2)


def _build(directory: Path, output: Path, signing_key: Path | None) -> int:
    from vectimus.core.bundles.build import build_bundle
    from vectimus.core.bundles.format import BundleError, encode_bundle
    from vectimus.core.errors import PolicyLoadError
    from vectimus.core.receipts.keys import key_id_for, load_signing_key

    key = load_signing_key(signing_key) if signing_key is not None else None
    try:
        bundle = build_bundle(directory, key=key)
    except (BundleError, PolicyLoadError) as exc:
        return _fail(f"cannot build a bundle from {directory}: {exc}", 1)
    temp = output.with_name(f".{output.name}.{os.getpid()}")
    try:
        temp.write_bytes(encode_bundle(bundle))
        temp.replace(output)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        return _fail(f"cannot write {output}: {exc.strerror or exc}", 2)
    manifest = bundle.manifest
    packs = ", ".join(f"{name} {version}" for name, version in sorted(manifest.packs.items()))
    signed = f"signed by {key_id_for(key.public_key)}" if key is not None else "UNSIGNED"
    print(f"wrote {output}: policy set {manifest.policy_set_hash[:16]}, {signed}")
    print(f"  packs: {packs}; {len(manifest.files)} files")
    return 0


def _in_force() -> str:
    from vectimus.core.bundles.install import read_active
    from vectimus.core.errors import VectimusError

    try:
        record = read_active()
    except VectimusError:
        return "unchanged"
    if record is None:
        return "unchanged (no bundle installed: the configured packs)"
    return f"unchanged (policy set {record.policy_set_hash[:16]} from {record.origin})"


def _update(source: str | None) -> int:
    from vectimus.core.assemble import check_base
    from vectimus.core.bundles.fetch import fetch, origin_of
    from vectimus.core.bundles.format import BundleError
    from vectimus.core.bundles.install import install
    from vectimus.core.bundles.trust import trusted_keys
    from vectimus.core.bundles.verify import verify_bundle
    from vectimus.core.config import load_config

    policies = load_config(None).settings.policies
    source = source or policies.bundle_url
    if not source:
        return _fail("say where the bundle is: --from URL|PATH, or [policies] bundle_url", 2)
    environ = dict(os.environ)
    try:
        verified = verify_bundle(fetch(source), trusted_keys(policies.trusted_keys))
        done = install(verified, origin_of(source), check=lambda d: check_base(d, environ))
    except BundleError as exc:
        print(f"vectimus policy update: refused {origin_of(source)}: {exc}", file=sys.stderr)
        print(f"the policy set in force is {_in_force()}", file=sys.stderr)
        return 1
    _report(done)
    if policies.dir is not None:
        print(
            f"note: [policies] dir ({policies.dir}) is set and wins over installed bundles; "
            "remove it to use this bundle"
        )
    return 0


def _report(done: Installation) -> None:
    from vectimus.client import reload_daemon

    record = done.record
    if not done.changed:
        print(f"policy set {record.policy_set_hash[:16]} is already in force: no change")
        return
    if not record.signer:
        signer = "UNSIGNED"
    elif record.signer_trusted:
        signer = f"signed by {record.signer} (trusted)"
    else:
        signer = f"signed by {record.signer} (not checked: no trusted_keys configured)"
    was = f" (was {done.previous.policy_set_hash[:16]})" if done.previous else ""
    print(f"installed policy set {record.policy_set_hash[:16]}{was} from {record.origin}")
    print(f"  {signer}; built {record.built_at}")
    print("  daemon reloaded" if reload_daemon() else "  no daemon running")


def _keygen(output: Path) -> int:
    from vectimus.core.bundles.trust import public_key_text
    from vectimus.core.receipts.keys import SigningKey

    key = SigningKey.generate()
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return _fail(f"{output} exists; not replacing a key", 2)
    except OSError as exc:
        return _fail(f"cannot write {output}: {exc.strerror or exc}", 2)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_pem())
    print(f"wrote signing key {output} ({key.key_id}); keep it secret")
    print("trust it on every machine that installs your bundles (~/.vectimus/config.toml):")
    print(f'[policies]\ntrusted_keys = ["{public_key_text(key.public_key)}"]')
    return 0
