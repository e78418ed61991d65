"""The sensitive files a glob could name: ``cat .e?v`` reads ``.env``.

Rules match paths as text, and a glob is text that is not the path it opens. A glob
segment is matched against the names the bundled rules protect, as bash would match it (a
leading ``.`` must be written out), and every name it could open is returned as a path of
its own. A segment that starts with a wildcard (``*.json``) is only matched inside a
protected directory (``~/.aws/*``), so that everyday globs do not turn into credentials.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from itertools import product

from vectimus.core.shell.options import word_set

_NAMES = word_set(
    ".env .env.local .env.production .env.development .env.staging .env.test .envrc .ssh "
    "id_rsa id_dsa id_ecdsa id_ed25519 .aws credentials config .netrc _netrc .pgpass "
    ".git-credentials .kube kubeconfig .docker config.json .npmrc .pypirc .gnupg "
    ".bash_history .zsh_history environ .vault-token .my.cnf .boto .s3cfg .config gcloud "
    "application_default_credentials.json .azure hosts.yml gh .vectimus signing-key.pem "
    "daemon-secret keys .claude settings.json settings.local.json .cursor hooks.json mcp.json "
    ".bashrc .zshrc .profile .bash_profile .zshenv authorized_keys .mcp.json .codex .gemini"
)
# Directories whose every file is sensitive: a bare ``*`` inside them still counts.
_PROTECTED = word_set(".ssh .aws .kube .docker .gnupg gcloud .azure .vectimus keys .claude")
_GLOB = frozenset("*?[")
_MAX_PATHS = 32


def _could_name(segment: str, name: str) -> bool:
    if name.startswith(".") and not segment.startswith("."):
        return False
    return fnmatchcase(name, segment)


def sensitive_matches(path: str) -> list[str]:
    """Paths of protected files that the glob ``path`` could open; [] for a plain path."""
    if not _GLOB.intersection(path):
        return []
    segments = path.split("/")
    choices: list[list[str]] = []
    for index, segment in enumerate(segments):
        options: list[str] = []
        if _GLOB.intersection(segment):
            parent = segments[index - 1] if index else ""
            if segment[0] not in _GLOB or parent in _PROTECTED:
                options = [name for name in sorted(_NAMES) if _could_name(segment, name)]
        choices.append(options or [segment])
    found: list[str] = []
    for combination in product(*choices):
        candidate = "/".join(combination)
        if candidate != path:
            found.append(candidate)
        if len(found) >= _MAX_PATHS:
            break
    return found
