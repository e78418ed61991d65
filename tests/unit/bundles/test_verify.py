"""Building a bundle and everything that makes one refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import msgspec
import pytest

from vectimus.core.bundles.build import build_bundle
from vectimus.core.bundles.format import Bundle, BundleError, encode_bundle
from vectimus.core.bundles.trust import TrustedKeys
from vectimus.core.bundles.verify import verify_bundle
from vectimus.core.engine.compile import compile_policies, load_policy_dirs
from vectimus.core.receipts.keys import SigningKey

from .conftest import resign, write_pack


def refusal(data: bytes, trusted: TrustedKeys) -> str:
    with pytest.raises(BundleError) as caught:
        verify_bundle(data, trusted)
    return str(caught.value)


class TestBuild:
    def test_manifest_pins_every_file_and_the_hash_a_load_computes(
        self, packs: Path, signed: Bundle, key: SigningKey
    ) -> None:
        manifest = signed.manifest
        assert set(manifest.files) == {
            "vectimus.cedarschema",
            "packs/team/pack.toml",
            "packs/team/team-001.cedar",
            "packs/team/team-002.cedar",
        }
        assert manifest.packs == {"team": "1.0.0"}
        loaded = compile_policies(load_policy_dirs([packs]))
        assert manifest.policy_set_hash == loaded.policy_set_hash
        assert manifest.signer.startswith("ed25519:")
        assert signed.signature

    def test_only_what_the_loader_reads_is_taken(self, packs: Path) -> None:
        (packs / "team" / "tests").mkdir()
        (packs / "team" / "tests" / "cases.jsonl").write_text("{}\n")
        (packs / "team" / "NOTES.md").write_text("notes")
        bundle = build_bundle(packs)
        assert not any("tests" in name or name.endswith(".md") for name in bundle.files)

    def test_a_broken_pack_stops_the_build_with_file_and_line(self, packs: Path) -> None:
        (packs / "team" / "broken.cedar").write_text(
            '@id("x")\nforbid (principal, action, resource) when { context.nope };\n'
        )
        with pytest.raises(
            Exception, match=r"src/team/broken\.cedar:1: rule x fails schema validation"
        ):
            build_bundle(packs)

    def test_a_directory_without_packs_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(BundleError, match="no policy packs"):
            build_bundle(tmp_path)


class TestVerify:
    def test_a_signed_bundle_from_a_trusted_key_passes(
        self, signed: Bundle, key: SigningKey, trusted: TrustedKeys
    ) -> None:
        verified = verify_bundle(encode_bundle(signed), trusted)
        assert verified.signer.key_id == key.key_id
        assert verified.signer.trusted is True
        assert verified.compiled.policy_set_hash == signed.manifest.policy_set_hash
        assert sorted(verified.compiled.rules) == ["team-001", "team-002"]

    def test_a_changed_file_is_refused(self, signed: Bundle, trusted: TrustedKeys) -> None:
        files = dict(signed.files)
        files["packs/team/team-001.cedar"] = files["packs/team/team-001.cedar"].replace(
            "alpha", "gamma"
        )
        changed = msgspec.structs.replace(signed, files=files)
        message = refusal(encode_bundle(changed), trusted)
        assert "packs/team/team-001.cedar does not match its SHA-256" in message

    def test_a_manifest_changed_to_match_breaks_the_signature(
        self, signed: Bundle, key: SigningKey, trusted: TrustedKeys
    ) -> None:
        weakened = resign(
            signed, key, {"packs/team/team-001.cedar": ""}
        )  # re-hashed and re-signed...
        forged = msgspec.structs.replace(weakened, signature=signed.signature)  # ...not by us
        assert "bad signature" in refusal(encode_bundle(forged), trusted)

    def test_an_unknown_key_is_refused(self, signed: Bundle) -> None:
        stranger = SigningKey.generate()
        other = {stranger.key_id: stranger.public_key}
        message = refusal(encode_bundle(signed), other)
        assert "which is not in [policies] trusted_keys" in message

    def test_a_garbled_signature_is_refused(self, signed: Bundle, trusted: TrustedKeys) -> None:
        raw = bytearray(base64.b64decode(signed.signature))
        raw[0] ^= 1
        bad = msgspec.structs.replace(signed, signature=base64.b64encode(bytes(raw)).decode())
        assert "bad signature" in refusal(encode_bundle(bad), trusted)

    def test_unsigned_is_refused_when_keys_are_trusted(
        self, packs: Path, trusted: TrustedKeys
    ) -> None:
        unsigned = build_bundle(packs)
        assert "the bundle is unsigned" in refusal(encode_bundle(unsigned), trusted)

    def test_unsigned_passes_when_no_key_is_trusted(self, packs: Path) -> None:
        verified = verify_bundle(encode_bundle(build_bundle(packs)), {})
        assert verified.signer.key_id == ""
        assert verified.signer.trusted is False

    def test_without_trusted_keys_a_signature_is_still_checked(self, signed: Bundle) -> None:
        forged = msgspec.structs.replace(signed, signature=base64.b64encode(b"x" * 64).decode())
        assert "bad signature" in refusal(encode_bundle(forged), {})

    def test_an_extra_file_is_refused(self, signed: Bundle, trusted: TrustedKeys) -> None:
        files = {**signed.files, "packs/team/evil.cedar": "// nothing"}
        extra = msgspec.structs.replace(signed, files=files)
        assert "'packs/team/evil.cedar' is in the bundle but not in its signed manifest" in (
            refusal(encode_bundle(extra), trusted)
        )

    def test_a_missing_file_is_refused(self, signed: Bundle, trusted: TrustedKeys) -> None:
        files = {k: v for k, v in signed.files.items() if not k.endswith("team-002.cedar")}
        missing = msgspec.structs.replace(signed, files=files)
        assert "packs/team/team-002.cedar is listed in the manifest but missing" in (
            refusal(encode_bundle(missing), trusted)
        )

    @pytest.mark.parametrize(
        "name", ["packs/../../etc/passwd.cedar", "/abs.cedar", "packs/team/.hidden.cedar", "x.py"]
    )
    def test_a_path_outside_the_layout_is_refused_even_when_signed(
        self, signed: Bundle, key: SigningKey, trusted: TrustedKeys, name: str
    ) -> None:
        bad = resign(signed, key, {name: "// x"})
        assert "a bundle holds only" in refusal(encode_bundle(bad), trusted)

    def test_a_broken_policy_is_refused_even_when_signed(
        self, signed: Bundle, key: SigningKey, trusted: TrustedKeys
    ) -> None:
        broken = resign(signed, key, {"packs/team/team-001.cedar": '@id("team-001")\nforbid (;\n'})
        message = refusal(encode_bundle(broken), trusted)
        assert "a policy in the bundle does not load" in message
        assert "packs/team/team-001.cedar:1: Cedar parse error" in message

    def test_a_permit_is_refused_even_when_signed(
        self, signed: Bundle, key: SigningKey, trusted: TrustedKeys
    ) -> None:
        permit = '@id("team-001")\npermit (principal, action, resource);\n'
        allowing = resign(signed, key, {"packs/team/team-001.cedar": permit})
        assert "is a permit" in refusal(encode_bundle(allowing), trusted)

    def test_another_schema_is_refused(
        self, signed: Bundle, key: SigningKey, trusted: TrustedKeys
    ) -> None:
        other = resign(signed, key, {"vectimus.cedarschema": "namespace Other {}\n"})
        assert "built for another Cedar schema" in refusal(encode_bundle(other), trusted)

    def test_a_manifest_hash_that_is_not_the_sets_is_refused(
        self, signed: Bundle, key: SigningKey, trusted: TrustedKeys
    ) -> None:
        wrong = msgspec.structs.replace(
            signed, manifest=msgspec.structs.replace(signed.manifest, policy_set_hash="0" * 64)
        )
        message = refusal(encode_bundle(resign(wrong, key)), trusted)
        assert "not the manifest's 0000000000000000" in message

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            (b"not json", "not a Vectimus policy bundle: JSON is malformed"),
            (b"[]", "not a Vectimus policy bundle: Expected `object`"),
            (b'{"manifest": {}}', "not a Vectimus policy bundle: Object missing required field"),
        ],
    )
    def test_malformed_input_gets_a_clear_error(
        self, data: bytes, expected: str, trusted: TrustedKeys
    ) -> None:
        assert expected in refusal(data, trusted)

    def test_an_unknown_member_or_version_is_refused(
        self, signed: Bundle, trusted: TrustedKeys
    ) -> None:
        doc = json.loads(encode_bundle(signed))
        doc["manifest"]["allow_everything"] = True
        assert "unknown field" in refusal(json.dumps(doc).encode(), trusted).lower()
        doc = json.loads(encode_bundle(signed))
        doc["manifest"]["version"] = 2
        assert "manifest version 2 is not supported" in refusal(json.dumps(doc).encode(), trusted)
        doc = json.loads(encode_bundle(signed))
        doc["format"] = "zip"
        assert "format is 'zip'" in refusal(json.dumps(doc).encode(), trusted)


def test_write_pack_helper_makes_a_loadable_pack(tmp_path: Path) -> None:
    root = write_pack(tmp_path, {"a-1": "x"}, name="p")
    assert list(compile_policies(load_policy_dirs([root])).rules) == ["a-1"]
