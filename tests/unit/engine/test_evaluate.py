"""The engine on its own: fail closed, strictest wins, overrides, observe, hostile data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.engine.test_compile import compile_dir, write_pack
from vectimus.core.engine import Engine, Request
from vectimus.core.events import Identity

RULES = """@id("t-rm")
@description("no rm")
forbid (principal, action == Vectimus::Action::"shell_command", resource)
when { context.program == "rm" };

@id("t-curl")
@enforcement("escalate")
forbid (principal, action == Vectimus::Action::"shell_command", resource)
when { context.program == "curl" };

@id("t-watch")
@enforcement("observe")
forbid (principal, action == Vectimus::Action::"shell_command", resource)
when { context.flags.contains("-v") };

@id("t-agent")
forbid (principal is Vectimus::Agent, action == Vectimus::Action::"file_read", resource)
when { principal.persona == "intern" && context.file_path like "*secret*" };
"""


def command(program: str, flags: tuple[str, ...] = (), tool: str = "Bash") -> Request:
    return Request(
        action="shell_command",
        tool=tool,
        context={
            "source": "claude-code",
            "origin": "tool",
            "raw_command": program,
            "command": program,
            "program": program,
            "subcommand": "",
            "flags": list(flags),
            "args": [],
            "wrappers": [],
            "pipe_from": [],
            "inline_code": "",
            "dynamic": False,
            "parse_error": False,
            "branch": "",
            "raw_folded": program,
            "url_domains": [],
            "url_local": False,
            "arg_paths": [],
            "cwd_and_parents": [],
        },
    )


def read(path: str) -> Request:
    return Request(
        action="file_read",
        tool="Read",
        context={
            "source": "claude-code",
            "origin": "tool",
            "file_path": path,
            "path_folded": path.lower(),
            "program": "",
            "raw_command": "",
        },
    )


@pytest.fixture
def compiled(tmp_path: Path):
    return compile_dir(write_pack(tmp_path, RULES))


AGENT = Identity(principal="dev")


class TestOutcomes:
    def test_nothing_matched_is_allow(self, compiled) -> None:
        verdict = Engine(compiled).evaluate(AGENT, [command("ls")])
        assert (verdict.outcome, verdict.matched, verdict.error) == ("allow", (), "")

    def test_strictest_of_all_requests_wins(self, compiled) -> None:
        verdict = Engine(compiled).evaluate(AGENT, [command("curl"), command("rm"), command("ls")])
        assert verdict.outcome == "deny"
        assert verdict.deciding_rule == "t-rm"
        assert set(verdict.matched) == {"t-rm", "t-curl"}

    def test_escalate_and_observe(self, compiled) -> None:
        assert Engine(compiled).evaluate(AGENT, [command("curl")]).outcome == "escalate"
        watched = Engine(compiled).evaluate(AGENT, [command("ls", ("-v",))])
        assert (watched.outcome, watched.matched) == ("allow", ("t-watch",))

    def test_config_override_beats_annotation(self, compiled) -> None:
        engine = Engine(compiled, enforcement={"t-rm": "escalate", "t-curl": "deny"})
        assert engine.evaluate(AGENT, [command("rm")]).outcome == "escalate"
        assert engine.evaluate(AGENT, [command("curl")]).outcome == "deny"

    def test_disabled_rule_does_not_match(self, compiled) -> None:
        assert (
            Engine(compiled, disabled=["t-rm"]).evaluate(AGENT, [command("rm")]).outcome == "allow"
        )

    def test_global_observe_allows_but_keeps_ids(self, compiled) -> None:
        verdict = Engine(compiled, observe=True).evaluate(AGENT, [command("rm")])
        assert (verdict.outcome, verdict.matched) == ("allow", ("t-rm",))

    def test_principal_attributes_reach_policies(self, compiled) -> None:
        intern = Identity(principal="x", persona="intern")
        assert Engine(compiled).evaluate(intern, [read("/a/secret.txt")]).outcome == "deny"
        assert Engine(compiled).evaluate(AGENT, [read("/a/secret.txt")]).outcome == "allow"
        human = Identity(principal="x", persona="intern", identity_type="human")
        assert Engine(compiled).evaluate(human, [read("/a/secret.txt")]).outcome == "allow"


class TestFailClosed:
    @pytest.mark.parametrize(
        "hostile", ['a"b', "a\\b", "a\nb", 'x" || true || "', "", "\x00", "💥" * 50]
    )
    def test_hostile_strings_do_not_change_the_outcome(self, compiled, hostile: str) -> None:
        engine = Engine(compiled)
        identity = Identity(principal=hostile, persona=hostile, groups=(hostile,))
        assert engine.evaluate(identity, [command("rm", tool=hostile)]).outcome == "deny"
        assert engine.evaluate(identity, [command("ls", tool=hostile)]).outcome == "allow"
        hostile_path = read(f"/x/{hostile}/secret")
        assert (
            engine.evaluate(Identity(principal=hostile, persona="intern"), [hostile_path]).outcome
            == "deny"
        )

    def test_missing_attribute_is_a_deny_that_says_so(self, compiled) -> None:
        broken = Request(action="shell_command", tool="Bash", context={"source": "x"})
        verdict = Engine(compiled).evaluate(AGENT, [broken])
        assert verdict.outcome == "deny"
        assert "error" in verdict.error

    def test_wrong_type_is_a_deny_when_requests_are_checked(self, compiled) -> None:
        # Cedar compares values of different types as unequal, so a builder bug could slip
        # past; tests run the pipeline with request checking on to prove the builder right.
        request = command("rm")
        request.context["program"] = 42
        verdict = Engine(compiled, check_requests=True).evaluate(AGENT, [request])
        assert verdict.outcome == "deny" and "is not valid" in verdict.error

    def test_unknown_action_is_a_deny(self, compiled) -> None:
        verdict = Engine(compiled).evaluate(
            AGENT, [Request(action="launch_missiles", tool="x", context={})]
        )
        assert verdict.outcome == "deny" and "unknown action" in verdict.error

    def test_unencodable_context_is_a_deny(self, compiled) -> None:
        request = Request(action="shell_command", tool="Bash", context={"program": object()})
        verdict = Engine(compiled).evaluate(AGENT, [request])
        assert verdict.outcome == "deny" and "policy evaluation failed" in verdict.error
