"""Installing a bundle, and loading the installed set: atomic, checked again on every load."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vectimus.core import assemble
from vectimus.core.assemble import check_base
from vectimus.core.bundles.build import build_bundle
from vectimus.core.bundles.format import Bundle, BundleError, encode_bundle
from vectimus.core.bundles.install import active_file, install, policies_root, read_active
from vectimus.core.bundles.trust import public_key_text
from vectimus.core.bundles.verify import verify_bundle
from vectimus.core.errors import PolicyLoadError
from vectimus.core.normalise import normalise
from vectimus.core.receipts.keys import SigningKey
from vectimus.core.runtime import build_runtime, resolve_snapshot

from .conftest import write_pack


def trust(home: Path, key: SigningKey, extra: str = "") -> None:
    (home / "config.toml").write_text(
        f'[policies]\ntrusted_keys = ["{public_key_text(key.public_key)}"]\n{extra}'
    )


def put_in_force(bundle: Bundle, key: SigningKey, origin: str = "/srv/b.json") -> str:
    verified = verify_bundle(encode_bundle(bundle), {key.key_id: key.public_key})
    environ = dict(os.environ)
    done = install(verified, origin, check=lambda d: check_base(d, environ))
    return done.record.directory


def decide(command: str) -> tuple[str, tuple[str, ...], str]:
    runtime = build_runtime(None)
    event = normalise("claude-code", {"tool_name": "Bash", "tool_input": {"command": command}})
    decision = runtime.pipeline.evaluate(event)
    return decision.decision, decision.matched_policy_ids, runtime.snapshot.compiled.policy_set_hash


@pytest.fixture
def installed(vectimus_home: Path, signed: Bundle, key: SigningKey) -> Path:
    trust(vectimus_home, key)
    return policies_root() / put_in_force(signed, key)


class TestInstall:
    def test_the_installed_bundle_is_the_base_set(
        self, installed: Path, signed: Bundle, key: SigningKey
    ) -> None:
        decision, matched, policy_set_hash = decide("alpha now")
        assert (decision, matched) == ("deny", ("team-001",))
        assert policy_set_hash == signed.manifest.policy_set_hash
        source = build_runtime(None).snapshot.policy_source
        assert source.kind == "bundle"
        assert source.signer == key.key_id
        assert source.signer_trusted is True
        assert source.origin == "/srv/b.json"
        assert source.location == str(installed / "packs")
        record = read_active()
        assert record is not None
        assert record.policy_set_hash == policy_set_hash

    def test_files_are_written_beside_then_swapped_by_one_rename(self, installed: Path) -> None:
        root = policies_root()
        assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == [
            "active.json",
            installed.name,
        ]
        assert not list(root.glob(".incoming-*"))
        assert (installed / "signed-manifest.json").is_file()

    def test_a_new_bundle_replaces_the_set_and_the_cache_notices(
        self, installed: Path, packs: Path, key: SigningKey
    ) -> None:
        before = resolve_snapshot(None)
        newer = write_pack(packs.parent / "v2", {"team-101": "gamma"}, version="2.0.0")
        put_in_force(build_bundle(newer, key=key), key)
        after = resolve_snapshot(None)
        assert after.compiled.policy_set_hash != before.compiled.policy_set_hash
        assert list(after.compiled.rules) == ["team-101"]
        assert decide("alpha now")[0] == "allow"

    def test_the_set_before_is_kept_and_older_ones_removed(
        self, installed: Path, packs: Path, key: SigningKey
    ) -> None:
        second = put_in_force(
            build_bundle(write_pack(packs.parent / "b", {"b-1": "b"}), key=key), key
        )
        third = put_in_force(
            build_bundle(write_pack(packs.parent / "c", {"c-1": "c"}), key=key), key
        )
        names = sorted(p.name for p in policies_root().glob("b-*"))
        assert names == sorted([second, third])
        assert not installed.exists()

    def test_the_same_bundle_again_changes_nothing(
        self, installed: Path, signed: Bundle, key: SigningKey
    ) -> None:
        stamp = active_file().stat().st_ino
        verified = verify_bundle(encode_bundle(signed), {key.key_id: key.public_key})
        done = install(verified, "/again")
        assert done.changed is False
        assert active_file().stat().st_ino == stamp

    def test_a_bundle_the_config_cannot_load_with_is_refused_before_the_swap(
        self, installed: Path, vectimus_home: Path, packs: Path, key: SigningKey
    ) -> None:
        trust(vectimus_home, key, '[rules]\ndisabled = ["team-002"]\n')
        in_force = decide("beta")[2]
        without = build_bundle(write_pack(packs.parent / "v2", {"team-001": "alpha"}), key=key)
        with pytest.raises(BundleError, match=r"unknown rule id.*team-002"):
            put_in_force(without, key)
        assert decide("beta")[2] == in_force
        assert read_active().directory == installed.name  # type: ignore[union-attr]
        assert not list(policies_root().glob(".incoming-*"))


class TestLoadingChecksAgain:
    def test_a_file_changed_after_the_install_stops_the_load(self, installed: Path) -> None:
        rule = installed / "packs" / "team" / "team-001.cedar"
        rule.write_text(rule.read_text().replace("alpha", "nothing-at-all"))
        with pytest.raises(PolicyLoadError, match="does not match its SHA-256"):
            build_runtime(None)

    def test_a_file_added_after_the_install_stops_the_load(self, installed: Path) -> None:
        (installed / "packs" / "team" / "extra.cedar").write_text("// tighter, but unsigned\n")
        with pytest.raises(PolicyLoadError, match=r"extra\.cedar.*not in its signed manifest"):
            build_runtime(None)

    def test_a_stray_file_is_refused(self, installed: Path) -> None:
        (installed / "packs" / "team" / "notes.txt").write_text("x")
        with pytest.raises(PolicyLoadError, match="does not belong in a bundle"):
            build_runtime(None)

    def test_a_key_no_longer_trusted_stops_the_load(
        self, installed: Path, vectimus_home: Path
    ) -> None:
        trust(vectimus_home, SigningKey.generate())
        with pytest.raises(PolicyLoadError, match="not in \\[policies\\] trusted_keys"):
            build_runtime(None)

    def test_a_damaged_record_stops_the_load(self, installed: Path) -> None:
        active_file().write_text('{"directory": "../../etc"}')
        with pytest.raises(PolicyLoadError, match="not a record of an installed bundle"):
            build_runtime(None)

    def test_a_configured_dir_wins_over_the_bundle(
        self, installed: Path, vectimus_home: Path, key: SigningKey, tmp_path: Path
    ) -> None:
        own = write_pack(tmp_path / "own", {"own-1": "delta"})
        trust(vectimus_home, key, f'dir = "{own}"\n')
        snapshot = build_runtime(None).snapshot
        assert list(snapshot.compiled.rules) == ["own-1"]
        assert snapshot.policy_source.kind == "directory"

    def test_bundle_url_without_an_installed_bundle_is_a_load_error(
        self, vectimus_home: Path, key: SigningKey
    ) -> None:
        trust(vectimus_home, key, 'bundle_url = "https://policies.example/b.json"\n')
        with pytest.raises(PolicyLoadError, match="no policy bundle has been installed yet"):
            build_runtime(None)


def test_a_set_edited_while_it_loads_is_loaded_again(
    vectimus_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files' state is compared before and after reading: a half-old, half-new read is
    never kept as the set in force."""
    root = write_pack(tmp_path / "live", {"live-1": "alpha"})
    monkeypatch.setenv("VECTIMUS_POLICY_DIR", str(root))
    real = assemble.compile_with
    calls: list[int] = []

    def edited_meanwhile(settings, base):  # type: ignore[no-untyped-def]
        compiled = real(settings, base)
        if not calls:  # a second rule lands while the first read is being compiled
            write_pack(root, {"live-2": "beta"})
        calls.append(1)
        return compiled

    monkeypatch.setattr(assemble, "compile_with", edited_meanwhile)
    snapshot = assemble.build_snapshot(None, os.environ)
    assert len(calls) == 2
    assert sorted(snapshot.compiled.rules) == ["live-1", "live-2"]
