"""Fetching bundles: ETag polling, and the poller that installs what it fetches."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.bundle_server import BundleServer
from vectimus.core.bundles.build import build_bundle
from vectimus.core.bundles.fetch import fetch, fetch_if_changed, origin_of
from vectimus.core.bundles.follow import BundlePoller
from vectimus.core.bundles.format import Bundle, BundleError, encode_bundle
from vectimus.core.bundles.install import read_active
from vectimus.core.bundles.trust import public_key_text
from vectimus.core.receipts.keys import SigningKey

from .conftest import resign, write_pack


class TestFetch:
    def test_etag_polling_fetches_nothing_when_nothing_changed(
        self, bundle_server: BundleServer
    ) -> None:
        bundle_server.serve(b'{"v": 1}')
        first = fetch_if_changed(bundle_server.url, "")
        assert first.data == b'{"v": 1}'
        for _ in range(5):
            again = fetch_if_changed(bundle_server.url, first.etag)
            assert again.data is None
        assert (bundle_server.sent, bundle_server.not_modified) == (1, 5)
        bundle_server.serve(b'{"v": 2}')
        changed = fetch_if_changed(bundle_server.url, first.etag)
        assert changed.data == b'{"v": 2}'
        assert changed.etag != first.etag

    def test_errors_name_the_source(self, tmp_path: Path) -> None:
        with pytest.raises(BundleError, match=r"cannot read .*nope\.json"):
            fetch(str(tmp_path / "nope.json"))
        with pytest.raises(BundleError, match=r"cannot fetch http://127\.0\.0\.1:9/b\.json"):
            fetch("http://127.0.0.1:9/b.json", timeout_s=2)

    def test_the_recorded_origin_drops_credentials_and_query(self) -> None:
        url = "https://user:secret@cdn.example:8443/p/b.json?token=abc"
        assert origin_of(url) == "https://cdn.example:8443/p/b.json"


@pytest.fixture
def signing(vectimus_home: Path) -> SigningKey:
    key = SigningKey.generate()
    (vectimus_home / "config.toml").write_text(
        f'[policies]\ntrusted_keys = ["{public_key_text(key.public_key)}"]\n'
    )
    return key


def poller_for(server: BundleServer, key: SigningKey) -> BundlePoller:
    return BundlePoller(server.url, os.environ, (public_key_text(key.public_key),))


class TestPoller:
    async def test_installs_a_new_bundle_once_then_asks_with_its_etag(
        self, bundle_server: BundleServer, signing: SigningKey, packs: Path
    ) -> None:
        bundle = build_bundle(packs, key=signing)
        bundle_server.serve(encode_bundle(bundle))
        poller = poller_for(bundle_server, signing)
        assert await poller.poll() is True
        assert await poller.poll() is False
        assert await poller.poll() is False
        assert (bundle_server.sent, bundle_server.not_modified) == (1, 2)
        assert poller.error == ""
        record = read_active()
        assert record is not None
        assert record.policy_set_hash == bundle.manifest.policy_set_hash
        assert record.origin == bundle_server.url

    async def test_a_refused_bundle_keeps_the_set_and_is_reported(
        self, bundle_server: BundleServer, signing: SigningKey, packs: Path, signed: Bundle
    ) -> None:
        good = build_bundle(packs, key=signing)
        bundle_server.serve(encode_bundle(good))
        poller = poller_for(bundle_server, signing)
        await poller.poll()
        stranger = SigningKey.generate()
        bundle_server.serve(encode_bundle(resign(good, stranger)))
        assert await poller.poll() is False
        assert "refused" in poller.error
        assert "not in [policies] trusted_keys" in poller.error
        assert await poller.poll() is False  # the same refused bundle is not fetched again
        assert bundle_server.not_modified >= 1
        record = read_active()
        assert record is not None
        assert record.policy_set_hash == good.manifest.policy_set_hash
        newer = build_bundle(write_pack(packs.parent / "v2", {"v2-1": "x"}), key=signing)
        bundle_server.serve(encode_bundle(newer))
        assert await poller.poll() is True
        assert poller.error == ""

    async def test_an_unreachable_url_is_reported_and_retried(self, signing: SigningKey) -> None:
        poller = BundlePoller("http://127.0.0.1:9/b.json", os.environ, ())
        assert await asyncio.wait_for(poller.poll(), 15) is False
        assert poller.error.startswith("cannot fetch http://127.0.0.1:9/b.json")

    async def test_a_refused_bundle_is_tried_again_after_a_while(
        self, bundle_server: BundleServer, signing: SigningKey, packs: Path, vectimus_home: Path
    ) -> None:
        """The refusal may be the configuration's fault: once fixed, the bundle goes in."""
        (vectimus_home / "config.toml").write_text(
            f'[policies]\ntrusted_keys = ["{public_key_text(signing.public_key)}"]\n'
            '[rules]\ndisabled = ["not-in-the-bundle"]\n'
        )
        bundle_server.serve(encode_bundle(build_bundle(packs, key=signing)))
        poller = BundlePoller(
            bundle_server.url, os.environ, (public_key_text(signing.public_key),),
            retry_refused_s=0.0,
        )  # fmt: skip
        assert await poller.poll() is False
        assert "unknown rule id(s): not-in-the-bundle" in poller.error
        (vectimus_home / "config.toml").write_text(
            f'[policies]\ntrusted_keys = ["{public_key_text(signing.public_key)}"]\n'
        )
        assert await poller.poll() is True
        assert poller.error == ""
        assert bundle_server.sent == 2
