"""The `vectimus` commands the deploy files run, and the images that run them.

Every command named by the Dockerfile (CMD, HEALTHCHECK), compose.yaml, compose.tls.yaml and
the chart's Deployments must be registered in vectimus.cli.main.COMMANDS and accept the
arguments given. And each image must be able to run its commands with only what it installs:
a subprocess hides every distribution the image leaves out (computed from uv.lock), then
imports the service package and parses the image's commands.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from functools import cache
from importlib.metadata import distributions, packages_distributions

import pytest

from tests.deploy._support import (
    CLIENT_PACKAGE,
    COMPOSE,
    COMPOSE_TLS,
    REPO,
    TARGETS,
    compose,
    dockerfile_stages,
    healthcheck_argv,
    helm_commands,
    lock_closure,
    normalise,
    registered_commands,
    vectimus_argv,
)


@cache
def usages() -> list[tuple[str, str, list[str]]]:
    """(image target, where, argv after `vectimus`) for every command the deploy files run."""
    found: list[tuple[str, str, list[str]]] = []
    for target in TARGETS:
        stage = dockerfile_stages()[target]
        for instruction in stage.all("CMD") + stage.all("HEALTHCHECK"):
            argv = instruction.exec_form() or ["sh", "-c", instruction.shell_form()]
            parsed = vectimus_argv(argv)
            if parsed is not None:
                found.append((target, f"Dockerfile:{instruction.line}", parsed))
    for path in (COMPOSE, COMPOSE_TLS):
        for name, service in compose(path)["services"].items():
            target = compose(COMPOSE)["services"].get(name, {}).get("build", {}).get("target")
            if target is None:
                continue
            if "command" in service:
                parsed = vectimus_argv([str(w) for w in service["command"]])
                assert parsed is not None, f"{path.name}: {name}: command is not `vectimus`"
                found.append((target, f"{path.name}:{name}:command", parsed))
            if "healthcheck" in service:
                parsed = vectimus_argv(healthcheck_argv(service))
                if parsed is not None:
                    found.append((target, f"{path.name}:{name}:healthcheck", parsed))
    for target in TARGETS:
        for index, argv in enumerate(helm_commands(target)):
            parsed = vectimus_argv(argv)
            assert parsed is not None, f"helm {target}: {argv}"
            found.append((target, f"helm:deployment-{target}.yaml:{index}", parsed))
    return found


def command_names() -> list[str]:
    return sorted({argv[0] for _, _, argv in usages()})


def test_the_deploy_files_name_the_expected_commands() -> None:
    assert command_names() == ["health", "server", "service"]
    for target in TARGETS:
        assert any(t == target for t, _, _ in usages()), f"no command found for {target}"


def _parse(commands: list[list[str]]) -> list[str]:
    """argparse's complaint about each argv (empty when `vectimus` accepts it), in one process."""
    script = textwrap.dedent(
        """
        import contextlib, io, json, sys
        from vectimus.cli import main
        complaints = []
        for argv in json.loads(sys.argv[1]):
            err = io.StringIO()
            try:
                with contextlib.redirect_stderr(err):
                    main._parser(argv[0]).parse_args(argv)
                complaints.append("")
            except SystemExit as exc:
                complaints.append(err.getvalue().strip() or f"exit {exc.code}")
        print(json.dumps(complaints))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    complaints = json.loads(done.stdout)
    assert isinstance(complaints, list)
    return [str(c) for c in complaints]


@pytest.mark.parametrize("name", ["server", "service", "health"])
def test_commands_are_registered_and_accept_their_arguments(name: str) -> None:
    where = [w for _, w, argv in usages() if argv[0] == name]
    assert name in registered_commands(), (
        f"`vectimus {name}` is not registered in COMMANDS (libs/client/src/vectimus/cli/main.py);"
        f" the deploy files run it at: {', '.join(where)}"
    )
    mine = [(place, argv) for _, place, argv in usages() if argv[0] == name]
    complaints = _parse([argv for _, argv in mine])
    problems = [
        f"{place}: vectimus {' '.join(argv)}: {complaint}"
        for (place, argv), complaint in zip(mine, complaints, strict=True)
        if complaint
    ]
    assert not problems, "\n".join(problems)


def test_a_wrong_flag_is_caught() -> None:
    assert "unrecognized arguments: --no-such-flag" in _parse([["health", "--no-such-flag"]])[0]


def test_container_health_checks_ask_about_their_own_worker() -> None:
    """Without --this-host, any live replica would make every container look healthy."""
    checks = [(where, argv) for _, where, argv in usages() if argv[0] == "health"]
    assert len(checks) == 9, checks  # 3 workers x (Dockerfile, compose, chart)
    for where, argv in checks:
        assert "--this-host" in argv and "--service" in argv, where


# --- each image runs its commands with only what it installs -----------------------------------


def _module_of(member: str) -> str:
    """vectimus-receipt-signer -> vectimus.receipt_signer."""
    return "vectimus." + member.removeprefix("vectimus-").replace("-", "_")


@cache
def _top_level_owners() -> dict[str, set[str]]:
    return {top: {normalise(d) for d in dists} for top, dists in packages_distributions().items()}


def hidden_from(target: str) -> tuple[list[str], list[str]]:
    """(top-level modules, vectimus sub-packages) of what the image does not install."""
    package = TARGETS[target][0]
    image = lock_closure(package) | {CLIENT_PACKAGE}
    installed = {normalise(d.metadata["Name"]) for d in distributions()}
    absent = installed - image
    tops = sorted(
        top
        for top, owners in _top_level_owners().items()
        if top != "vectimus" and owners and owners <= absent
    )
    members = sorted(_module_of(d) for d in absent if d.startswith("vectimus-"))
    return tops, members


# The gateway's degraded mode evaluates with the evaluator's own handler (gateway/wiring.py),
# so vectimus-gateway depends on vectimus-evaluator; no other image carries another service.
ALSO_IN = {"gateway": {"vectimus-evaluator"}}


@pytest.mark.parametrize("target", list(TARGETS))
def test_no_other_service_is_in_an_image(target: str) -> None:
    closure = lock_closure(TARGETS[target][0])
    others = {package for package, _, _, _ in TARGETS.values()} - {TARGETS[target][0]}
    others -= ALSO_IN.get(target, set())
    assert not closure & (others | {CLIENT_PACKAGE}), closure & others
    if target != "gateway":
        assert not closure & {"litestar", "granian"}, f"{target} would carry the web stack"


# Imports of other services allowed where only embedded mode (`vectimus server start` with no
# Redis URL, every service in one process) reaches them: the images always run distributed.
EMBEDDED_ONLY = {("gateway", "embedded_services")}


def _vectimus_imports(tree: ast.AST) -> list[tuple[str, str, int]]:
    """(enclosing function or "", imported vectimus.* module, line), lazy imports included."""
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = function or child.name
            if isinstance(child, ast.Import):
                found.extend((name, a.name, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                found.append((name, child.module, child.lineno))
            visit(child, name)

    visit(tree, "")
    return [f for f in found if f[1].startswith("vectimus.")]


@pytest.mark.parametrize("target", list(TARGETS))
def test_service_code_imports_only_what_its_image_installs(target: str) -> None:
    """Lazy imports too (inside functions), which importing the modules does not reach."""
    package, directory, _, _ = TARGETS[target]
    _, hidden = hidden_from(target)
    problems = []
    for path in sorted((REPO / directory / "src").rglob("*.py")):
        for function, module, line in _vectimus_imports(ast.parse(path.read_text())):
            if (target, function) in EMBEDDED_ONLY:
                continue
            if any(module == h or module.startswith(h + ".") for h in hidden):
                problems.append(f"{path.relative_to(REPO)}:{line}: imports {module}")
    assert not problems, (
        f"{package} imports packages its image does not install (declare them in its "
        "pyproject.toml, or keep them to embedded mode):\n" + "\n".join(problems)
    )


_IMAGE_SCRIPT = textwrap.dedent(
    """
    import importlib, importlib.abc, json, pkgutil, sys

    tops, members, package, commands = (json.loads(a) for a in sys.argv[1:5])

    class NotInThisImage(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in tops or any(
                name == m or name.startswith(m + ".") for m in members
            ):
                raise ModuleNotFoundError(f"No module named {name!r} in this image", name=name)
            return None

    sys.meta_path.insert(0, NotInThisImage())
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    from vectimus.cli import main
    for argv in commands:
        if argv[0] in main.COMMANDS:
            main._parser(argv[0]).parse_args(argv)
            importlib.import_module(main.COMMANDS[argv[0]][0])
    print("ok")
    """
)


@pytest.mark.parametrize("target", list(TARGETS))
def test_each_image_runs_its_commands_with_only_its_own_dependencies(target: str) -> None:
    tops, members = hidden_from(target)
    assert "litestar" in tops or target == "gateway", "the web stack should be hidden"
    package = _module_of(TARGETS[target][0])
    commands = [argv for t, _, argv in usages() if t == target]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMAGE_SCRIPT,
            json.dumps(tops),
            json.dumps(members),
            json.dumps(package),
            json.dumps(commands),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", (
        f"the {target} image could not import {package} or parse its commands with only its "
        f"own dependencies:\n{done.stderr[-3000:]}"
    )
