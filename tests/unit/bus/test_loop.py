"""The services' event loop: uvloop where installed, asyncio's own otherwise."""

from __future__ import annotations

import asyncio
import sys

import pytest

from vectimus.core.bus.loop import run


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_services_run_on_uvloop_when_it_is_installed() -> None:
    # The service packages depend on uvloop, so the workspace always has it.
    assert run(_loop_module()).startswith("uvloop")


def test_without_uvloop_the_services_run_on_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    assert run(_loop_module()).startswith("asyncio")


def test_an_exception_in_the_service_reaches_the_caller() -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run(fails())
