"""Signed policy bundles: build, verify, install, and keep a server on the current set.

- :mod:`.format`: the bundle file (one JSON document) and its signed manifest.
- :mod:`.trust`: ``[policies] trusted_keys``, the public keys a bundle may be signed by.
- :mod:`.build` and :mod:`.verify`: pure functions from files to bundle and back.
- :mod:`.install`: the installed set under ``<VECTIMUS_HOME>/policies``, swapped atomically.
- :mod:`.provenance`: where the policies in force came from (light: the hook imports it).
- :mod:`.fetch` and :mod:`.follow`: fetching with ETags, and the servers' reload loop.

Nothing is imported here, so the hook's warm path can import :mod:`.provenance` alone.
"""
