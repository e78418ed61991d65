"""The session counters: in memory (daemon, embedded), in files (inline hook), the facts."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from vectimus.core.events import Action, Event, Identity, Source
from vectimus.core.sessions import SessionCall, SessionCounts, call_of, session_facts
from vectimus.core.sessions.counts import kind_of, session_key
from vectimus.core.sessions.files import FileSessionCounter
from vectimus.core.sessions.memory import MemorySessionCounter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def spawn(session: str = "s", call_id: str = "") -> SessionCall:
    return SessionCall(session, "spawn", call_id)


def event(action_type: str, session_id: str = "abc", tool: str = "claude-code") -> Event:
    return Event(
        source=Source(tool=tool, session_id=session_id),
        identity=Identity(),
        action=Action(action_type=action_type, raw_tool_name="Task"),  # type: ignore[arg-type]
    )


class TestCalls:
    def test_kinds(self) -> None:
        assert kind_of("agent_spawn") == "spawn"
        assert kind_of("agent_message") == "message"
        assert kind_of("shell_command") == "tool"

    def test_a_call_without_a_session_is_not_counted(self) -> None:
        assert call_of(event("agent_spawn", session_id=""), "r1") is None

    def test_the_key_is_fixed_size_and_separates_tools(self) -> None:
        call = call_of(event("agent_spawn", session_id="x" * 5000), "r1")
        assert call is not None and len(call.session) == 32 and call.kind == "spawn"
        assert session_key("cursor", "s") != session_key("codex", "s")

    def test_facts_carry_counts_and_limits(self) -> None:
        facts = session_facts(
            SessionCounts(spawns=11, messages=2, tool_calls=40), spawn_limit=10, message_limit=50
        )
        assert facts == {
            "spawn_count": 11,
            "message_count": 2,
            "tool_call_count": 40,
            "spawn_limit": 10,
            "message_limit": 50,
        }
        assert session_facts(None, spawn_limit=1, message_limit=2)["spawn_count"] == 0


class TestMemory:
    def test_counts_kinds_and_tool_calls(self) -> None:
        counter = MemorySessionCounter()
        calls = [spawn(), SessionCall("s", "message", ""), SessionCall("s", "tool", ""), spawn()]
        found = counter.count_now(calls, ttl_s=60)
        assert found[-1] == SessionCounts(spawns=2, messages=1, tool_calls=4)
        assert counter.count_now([spawn("other")], ttl_s=60)[0].spawns == 1

    def test_an_idle_session_is_forgotten_after_its_ttl(self) -> None:
        clock = Clock()
        counter = MemorySessionCounter(clock=clock)
        counter.count_now([spawn(), spawn()], ttl_s=60)
        clock.now += 59
        assert counter.count_now([spawn()], ttl_s=60)[0].spawns == 3  # the TTL slides
        clock.now += 61
        assert counter.count_now([spawn()], ttl_s=60)[0].spawns == 1

    def test_a_call_counted_twice_counts_once(self) -> None:
        counter = MemorySessionCounter()
        first = counter.count_now([spawn(call_id="r1")], ttl_s=60)[0]
        again = counter.count_now([spawn(call_id="r1")], ttl_s=60)[0]
        assert first == again == SessionCounts(spawns=1, tool_calls=1)

    def test_threads_lose_no_update(self) -> None:
        counter = MemorySessionCounter()

        def work() -> None:
            for _ in range(500):
                counter.count_now([spawn()], ttl_s=60)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert counter.count_now([spawn()], ttl_s=60)[0].spawns == 2001


class TestFiles:
    def test_counts_survive_the_process_that_wrote_them(self, tmp_path: Path) -> None:
        FileSessionCounter(tmp_path).count_now([spawn(), spawn()], ttl_s=60)
        found = FileSessionCounter(tmp_path).count_now([spawn()], ttl_s=60)[0]
        assert found == SessionCounts(spawns=3, tool_calls=3)
        assert (tmp_path / "s.json").stat().st_mode & 0o777 == 0o600

    def test_expired_sessions_restart_and_old_files_are_swept(self, tmp_path: Path) -> None:
        clock = Clock()
        counter = FileSessionCounter(tmp_path, clock=clock)
        counter.count_now([spawn("a"), spawn("b")], ttl_s=60)
        clock.now += 120
        assert counter.count_now([spawn("a")], ttl_s=60)[0].spawns == 1
        assert not (tmp_path / "b.json").exists()

    def test_a_tampered_file_is_an_error_not_a_reset(self, tmp_path: Path) -> None:
        counter = FileSessionCounter(tmp_path)
        counter.count_now([spawn()], ttl_s=60)
        (tmp_path / "s.json").write_text(json.dumps({"spawns": -5, "expires": 9e12}))
        [found] = counter.count_now([spawn()], ttl_s=60)
        assert found.error and "spawns" in found.error

    def test_an_unusable_directory_is_an_error(self, tmp_path: Path) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("")
        [found] = FileSessionCounter(blocker / "sessions").count_now([spawn()], ttl_s=60)
        assert found.error.startswith("the session counter file failed")

    def test_parallel_hooks_lose_no_update(self, tmp_path: Path) -> None:
        def work() -> None:
            counter = FileSessionCounter(tmp_path)  # each its own open file: flock contends
            for _ in range(50):
                counter.count_now([spawn()], ttl_s=60)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert FileSessionCounter(tmp_path).count_now([spawn()], ttl_s=60)[0].spawns == 201


@pytest.mark.parametrize("ttl", [60, 3600])
def test_memory_and_files_agree(tmp_path: Path, ttl: int) -> None:
    calls = [spawn(), SessionCall("s", "message", ""), SessionCall("s", "tool", "")] * 3
    in_memory = MemorySessionCounter().count_now(calls, ttl_s=ttl)
    in_files = FileSessionCounter(tmp_path).count_now(calls, ttl_s=ttl)
    assert in_memory == in_files
