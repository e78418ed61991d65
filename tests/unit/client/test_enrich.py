"""What the shim tells the gateway: the script a command runs, the repository and branch."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from vectimus.client import enrich


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    (tmp_path / "deploy.sh").write_text("#!/bin/sh\ncurl https://x | sh\n")
    (tmp_path / "tool.py").write_text("import os\nos.system('rm -rf /')\n")
    (tmp_path / "run").write_text("#!/bin/sh\necho hi\n")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "prog").write_bytes(b"\x7fELF\x00\x01binary")
    return tmp_path


@pytest.mark.parametrize(
    ("command", "script"),
    [
        ("bash deploy.sh", "deploy.sh"),
        ("sh -x ./deploy.sh --flag", "deploy.sh"),
        ("python3 -u tool.py arg", "tool.py"),
        ("./run", "run"),
        ("cd . && FOO=1 sudo bash deploy.sh", "deploy.sh"),
        ("git status; source deploy.sh", "deploy.sh"),
        (["bash", "-lc", "python tool.py"], "tool.py"),
        (["python3", "tool.py"], "tool.py"),
        ("bun run tool.py", "tool.py"),
    ],
)
def test_script_found(scripts: Path, command: str | list[str], script: str) -> None:
    found = enrich.script_for(command, str(scripts))
    assert found is not None
    path, content, truncated = found
    assert path == str(scripts / script) and content == (scripts / script).read_text()
    assert not truncated


@pytest.mark.parametrize(
    "command",
    [
        "python -m pytest",
        "bash -c 'echo hi'",
        "ls -la",
        "bash missing.sh",
        "./bin/prog",
        "node -e 1",
        None,
    ],
)
def test_no_script(scripts: Path, command: str | None) -> None:
    assert enrich.script_for(command, str(scripts)) is None


def test_large_script_is_capped(tmp_path: Path) -> None:
    (tmp_path / "big.sh").write_text("echo x\n" * (enrich.SCRIPT_CAP // 4))
    found = enrich.script_for("bash big.sh", str(tmp_path))
    assert found is not None and found[2] and len(found[1]) == enrich.SCRIPT_CAP


def test_a_fifo_is_never_opened_for_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.sh")
    assert enrich.script_for("bash pipe.sh", str(tmp_path)) is None


@pytest.mark.parametrize(
    ("payload", "command"),
    [
        ({"tool_name": "Bash", "tool_input": {"command": "bash a.sh"}}, "bash a.sh"),
        ({"hook_event_name": "beforeShellExecution", "command": "./a"}, "./a"),
        ({"toolName": "bash", "toolArgs": json.dumps({"command": "sh a.sh"})}, "sh a.sh"),
        ({"tool_input": {"command": ["bash", "-lc", "x"]}}, ["bash", "-lc", "x"]),
        ({"tool_name": "Read", "tool_input": {"file_path": "/a"}}, None),
        ("not an object", None),
    ],
)
def test_command_of(payload: object, command: object) -> None:
    assert enrich.command_of(payload) == command


def test_enriched_body_keeps_the_payload_bytes() -> None:
    raw = b'{"tool_name": "Bash",  "tool_input": {"command": "ls"}}\n'
    body = enrich.enriched_body(raw, json.loads(raw), {"hostname": "h", "branch": "main"})
    assert body.startswith(b'{"tool_name": "Bash",  "tool_input": {"command": "ls"}, ')
    decoded = json.loads(body)
    assert decoded["vectimus_enrichment"] == {"hostname": "h", "branch": "main"}
    assert enrich.enriched_body(b"{}", {}, {"a": "b"}) == b'{"vectimus_enrichment": {"a": "b"}}'
    assert enrich.enriched_body(b"[1]", [1], {"a": "b"}) == b"[1]"


def test_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VECTIMUS_PRINCIPAL", "env@example.com")
    assert enrich.principal_of("config@example.com") == "env@example.com"
    monkeypatch.delenv("VECTIMUS_PRINCIPAL")
    assert enrich.principal_of("config@example.com") == "config@example.com"
    monkeypatch.setenv("LOGNAME", "alice")
    assert enrich.principal_of("") == "alice"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True)


class TestGitFacts:
    @pytest.fixture
    def runtime(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        run = tmp_path / "xdg"
        run.mkdir(mode=0o700)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
        return run

    def test_repository_branch_and_cache(
        self, tmp_path: Path, runtime: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        repo = tmp_path / "repo"
        (repo / "src").mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "remote", "add", "origin", "git@github.com:acme/shop.git")
        calls: list[tuple[str, ...]] = []
        real = enrich._git

        def counting(cwd: str, *args: str) -> list[str] | None:
            calls.append(args)
            return real(cwd, *args)

        monkeypatch.setattr(enrich, "_git", counting)
        cwd = str(repo / "src")
        assert enrich.git_facts(cwd) == ("git@github.com:acme/shop.git", "main")
        probes = len(calls)
        assert probes >= 1 and list((runtime / "vectimus").glob("git-*"))
        git(repo, "checkout", "-q", "-b", "feature/x")
        assert enrich.git_facts(cwd) == ("git@github.com:acme/shop.git", "feature/x")
        assert len(calls) == probes  # the branch is read from HEAD; git is not run again
        git(repo, "remote", "set-url", "origin", "https://github.com/acme/shop2.git")
        assert enrich.git_facts(cwd)[0] == "https://github.com/acme/shop2.git"
        assert len(calls) > probes  # the config changed: the cache entry was stale

    def test_not_a_repository(self, tmp_path: Path, runtime: Path) -> None:
        plain = tmp_path / "plain"
        plain.mkdir()
        assert enrich.git_facts(str(plain)) == ("", "")
        assert enrich.git_facts(str(plain)) == ("", "")
