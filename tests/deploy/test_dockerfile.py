"""deploy/Dockerfile and .dockerignore, read as text: targets, what each image installs, and
how it runs (user, read-only root, bytecode, policies, health check)."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.deploy._support import (
    CLIENT_DIR,
    REPO,
    TARGETS,
    base_chain,
    dockerfile_stages,
    dockerignored,
    image_env,
    lock_closure,
    stage_chain,
    workspace_members,
)


def test_every_service_has_a_target() -> None:
    stages = dockerfile_stages()
    missing = [target for target in TARGETS if target not in stages]
    assert not missing, f"deploy/Dockerfile has no target {missing}"


def test_build_is_multi_stage() -> None:
    for target in TARGETS:
        chain = [stage.name for stage in stage_chain(target)]
        assert f"build-{target}" in chain, f"{target} is not built in a stage of its own"
        final = dockerfile_stages()[target]
        assert final.copies_from_stages() == [f"build-{target}"], (
            f"{target} copies from {final.copies_from_stages()}, not only its build stage"
        )
        # Nothing that builds (uv, compilers) in the runtime image's own FROM chain.
        for stage in base_chain(target):
            assert not [i for i in stage.all("RUN") if "uv " in i.args], (
                f"{target}: uv runs in {stage.name}, a stage of the runtime image"
            )


def _install_steps(target: str) -> list[str]:
    return [
        instruction.args
        for stage in stage_chain(target)
        for instruction in stage.all("RUN")
        if "uv sync" in instruction.args or "uv pip install" in instruction.args
    ]


@pytest.mark.parametrize("target", list(TARGETS))
def test_each_image_installs_only_its_own_package_from_the_lock(target: str) -> None:
    package = TARGETS[target][0]
    steps = _install_steps(target)
    syncs = [command for step in steps for command in step.split("&&") if "uv sync" in command]
    assert syncs, f"{target}: no `uv sync` step"
    for command in syncs:
        words = shlex.split(command)
        assert "--frozen" in words or "--locked" in words, f"{target}: not from uv.lock: {command}"
        assert "--no-dev" in words, f"{target}: installs the dev group: {command}"
        named = [words[i + 1] for i, word in enumerate(words) if word == "--package"]
        assert named == [package], f"{target}: `uv sync` names {named}, expected [{package!r}]"
        assert "--all-packages" not in words, f"{target}: --all-packages installs every service"
    pip = [c for step in steps for c in step.split("&&") if "uv pip install" in c]
    for command in pip:
        words = shlex.split(command)
        assert "--no-deps" in words, f"{target}: the client is installed with its dependencies"
        paths = [w for w in words[3:] if not w.startswith("-") and "/" in w and "python" not in w]
        assert paths == [f"./{CLIENT_DIR}"], f"{target}: `uv pip install` installs {paths}"


@pytest.mark.parametrize("target", list(TARGETS))
def test_each_build_stage_copies_exactly_the_sources_it_installs(target: str) -> None:
    """The workspace members in the package's closure (uv.lock), the client, and policies/
    (vectimus-core's wheel bundles them): a member left out fails the build, an extra one
    is another service's code in the image's build."""
    package = TARGETS[target][0]
    members = workspace_members()
    expected = {members[m] for m in lock_closure(package) if m in members}
    expected |= {CLIENT_DIR, "policies"}
    copied = set()
    for instruction in dockerfile_stages()[f"build-{target}"].all("COPY"):
        words = shlex.split(instruction.args)
        if not any(w.startswith("--from=") for w in words):
            copied.update(words[:-1])
    assert copied == expected, f"build-{target} copies {sorted(copied)}, needs {sorted(expected)}"


def test_every_workspace_member_pyproject_is_in_the_build() -> None:
    """uv resolves the workspace from every member's pyproject.toml: a new member the
    Dockerfile does not copy breaks `uv sync --frozen` in every image."""
    copied = {
        source
        for instruction in dockerfile_stages()["build"].all("COPY")
        for source in shlex.split(instruction.args)[:-1]
    }
    for member in workspace_members().values():
        assert f"{member}/pyproject.toml" in copied, (
            f"deploy/Dockerfile (stage build) does not copy {member}/pyproject.toml"
        )
    assert {"pyproject.toml", "uv.lock"} <= copied


def test_bytecode_is_compiled_at_build_and_never_written_at_run_time() -> None:
    for target in TARGETS:
        build = dockerfile_stages()[f"build-{target}"]
        assert any("compileall" in i.args for i in build.all("RUN")), (
            f"build-{target} does not compile bytecode"
        )
        assert image_env(target).get("PYTHONDONTWRITEBYTECODE") == "1", target
    runtime = dockerfile_stages()["runtime"]
    assert any("compileall" in i.args for i in runtime.all("RUN")), "stdlib bytecode"


@pytest.mark.parametrize("target", list(TARGETS))
def test_runs_unprivileged_with_writable_state_on_one_path(target: str) -> None:
    users = [i.args for stage in base_chain(target) for i in stage.all("USER")]
    assert users, f"{target}: no USER: it would run as root"
    user = users[0].split(":")[0]
    assert user.isdigit(), f"{target}: USER {user!r}: a numeric uid lets runAsNonRoot verify it"
    assert int(user) != 0
    env = image_env(target)
    assert env.get("VECTIMUS_HOME", "").startswith("/var/lib/vectimus/"), env
    for name in ("VECTIMUS_AUDIT_DIR", "VECTIMUS_RECEIPTS_DIR"):
        if name in env:
            assert env[name].startswith("/var/lib/vectimus/"), f"{target}: {name}={env[name]}"
    runtime_runs = " ".join(i.args for i in dockerfile_stages()["runtime"].all("RUN"))
    assert re.search(rf"install -d -o {user} -g \d+ -m 0700 /var/lib/vectimus", runtime_runs)


@pytest.mark.parametrize("target", list(TARGETS))
def test_health_check_and_command(target: str) -> None:
    stage = dockerfile_stages()[target]
    checks = stage.all("HEALTHCHECK")
    assert len(checks) == 1, f"{target}: expected one HEALTHCHECK"
    assert "--interval=" in checks[0].args and "--timeout=" in checks[0].args
    assert stage.all("CMD"), f"{target}: no CMD"


def test_only_the_gateway_exposes_8420() -> None:
    for target in TARGETS:
        exposed = [i.args for i in dockerfile_stages()[target].all("EXPOSE")]
        assert exposed == (["8420"] if target == "gateway" else []), (target, exposed)


@pytest.mark.parametrize("target", ["gateway", "evaluator"])
def test_policies_are_baked_in_and_replaceable(target: str) -> None:
    stage = dockerfile_stages()[target]
    policy_dir = image_env(target).get("VECTIMUS_POLICY_DIR")
    assert policy_dir == "/etc/vectimus/policies"
    copies = [shlex.split(i.args) for i in stage.all("COPY")]
    assert ["policies", policy_dir] in copies, f"{target} does not bake policies/ in"


def test_gateway_health_check_script_is_in_the_image() -> None:
    copies = [shlex.split(i.args) for i in dockerfile_stages()["gateway"].all("COPY")]
    assert ["deploy/healthcheck.py", "/opt/vectimus/bin/healthcheck.py"] in copies
    check = dockerfile_stages()["gateway"].all("HEALTHCHECK")[0].exec_form()
    assert check == ["python", "/opt/vectimus/bin/healthcheck.py", "http://127.0.0.1:8420/healthz"]


def _context_sources() -> list[str]:
    sources = []
    for stage in dockerfile_stages().values():
        for instruction in stage.all("COPY"):
            if "--from=" not in instruction.args:
                sources.extend(shlex.split(instruction.args)[:-1])
    return sources


def test_dockerignore_keeps_everything_the_dockerfile_copies() -> None:
    skip = re.compile(r"(^|/)(__pycache__|\.pytest_cache|\.mypy_cache|\.ruff_cache)(/|$)|\.pyc$")
    for source in _context_sources():
        path = REPO / source
        assert path.exists(), f"deploy/Dockerfile copies {source}, which does not exist"
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            relative = file.relative_to(REPO).as_posix()
            if skip.search(relative) or "/.vectimus/" in f"/{relative}":
                continue
            assert not dockerignored(relative), f".dockerignore leaves out {relative}"


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".git/config",
        ".venv/bin/python",
        "deploy/tls/tls.key",
        ".vectimus/receipts/2026-01-01/x.json",
        "libs/core/src/vectimus/core/__pycache__/paths.cpython-311.pyc",
        "tests/conftest.py",
        "helm/vectimus/values.yaml",
    ],
)
def test_dockerignore_leaves_out_secrets_and_local_state(path: str) -> None:
    assert dockerignored(path), f".dockerignore lets {path} into the build context"
