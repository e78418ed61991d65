"""What the deployment tests read: the Dockerfile, .dockerignore, compose files, the chart,
uv.lock and the CLI's command table. Plain parsing, no Docker engine and no helm."""

from __future__ import annotations

import ast
import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
COMPOSE = REPO / "compose.yaml"
COMPOSE_TLS = REPO / "compose.tls.yaml"
CHART = REPO / "helm" / "vectimus"
CLI_MAIN = REPO / "libs" / "client" / "src" / "vectimus" / "cli" / "main.py"
DOCS = REPO / "docs" / "deploy.md"

# Image target -> (workspace package, source directory, compose service, chart values key).
TARGETS: dict[str, tuple[str, str, str, str]] = {
    "gateway": ("vectimus-gateway", "services/gateway", "gateway", "gateway"),
    "evaluator": ("vectimus-evaluator", "services/evaluator", "evaluator", "evaluator"),
    "receipt-signer": (
        "vectimus-receipt-signer",
        "services/receipt_signer",
        "receipt-signer",
        "receiptSigner",
    ),
    "audit-sink": ("vectimus-audit-sink", "services/audit_sink", "audit-sink", "auditSink"),
}
CLIENT_PACKAGE = "vectimus"
CLIENT_DIR = "libs/client"


# --- the CLI's command table --------------------------------------------------------------------


@cache
def registered_commands() -> dict[str, str]:
    """COMMANDS of vectimus.cli.main (name -> module path), read without importing it."""
    tree = ast.parse(CLI_MAIN.read_text())
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "COMMANDS" and node.value is not None:
            table = ast.literal_eval(node.value)
            return {name: module for name, (module, _help) in table.items()}
    raise AssertionError(f"no COMMANDS table in {CLI_MAIN}")


# --- Dockerfile -------------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD, or None for shell form."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = re.sub(r"^(--[a-z-]+=\S+\s+)*", "", text)
            if not text.startswith("CMD "):
                return None
            text = text[4:].strip()
        if text.startswith("["):
            value = json.loads(text)
            assert isinstance(value, list)
            return [str(v) for v in value]
        return None

    def shell_form(self) -> str:
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = re.sub(r"^(--[a-z-]+=\S+\s+)*", "", text).removeprefix("CMD ").strip()
        return text


@dataclass
class Stage:
    name: str
    base: str
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in shlex.split(instruction.args):
                key, sep, value = word.partition("=")
                assert sep, f"line {instruction.line}: ENV without '=': {word!r}"
                found[key] = value
        return found

    def copies_from_stages(self) -> list[str]:
        out = []
        for instruction in self.all("COPY"):
            match = re.search(r"--from=(\S+)", instruction.args)
            if match:
                out.append(match.group(1))
        return out


@cache
def dockerfile_stages() -> dict[str, Stage]:
    """Stages by name (an unnamed stage gets its index), in file order."""
    logical: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(DOCKERFILE.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append((start, pending + stripped))
        pending = ""
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for number, text in logical:
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            current = Stage(name=name, base=words[0], line=number)
            stages[name] = current
        elif current is not None:
            current.instructions.append(Instruction(keyword, args, number))
    return stages


def stage_chain(target: str) -> list[Stage]:
    """The stage and every stage it is built FROM or copies from, transitively."""
    stages = dockerfile_stages()
    seen: list[Stage] = []
    todo = [target]
    while todo:
        name = todo.pop()
        stage = stages.get(name)
        if stage is None or stage in seen:
            continue
        seen.append(stage)
        todo.append(stage.base)
        todo.extend(stage.copies_from_stages())
    return seen


def base_chain(target: str) -> list[Stage]:
    """The stage and the stages it is built FROM (not the ones it copies from), child first."""
    stages = dockerfile_stages()
    out = []
    name: str | None = target
    while name in stages:
        out.append(stages[name])
        name = stages[name].base
    return out


def image_env(target: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for stage in reversed(base_chain(target)):
        env.update(stage.env())
    return env


# --- .dockerignore ----------------------------------------------------------------------------


@cache
def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) per pattern, in order; the last pattern matching a path wins."""
    out = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:] if negated else line
        pattern = pattern.strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                regex += ".*"
                i += 2
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        out.append((negated, re.compile(regex + r"\Z")))
    return out


def dockerignored(relative: str) -> bool:
    """Whether the build context leaves ``relative`` out: a pattern applies to a path when it
    matches the path or one of its parent directories, as Docker's matcher does."""
    parts = relative.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negated, regex in dockerignore_patterns():
        if any(regex.match(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


# --- compose ----------------------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: str, environ: dict[str, str] | None = None) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message} and ${VAR?message},
    with ``environ`` (default: nothing set). With a colon an empty VAR counts as unset; without
    one only a missing VAR does (``VAR=`` in .env sets it to empty)."""
    environ = environ or {}

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if environ.get(name) or (name in environ and op in ("-", "?", None)):
            return environ[name]
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise KeyError(f"{name}: {arg}")
        return ""

    return _INTERPOLATION.sub(one, value)


@cache
def compose(path: Path = COMPOSE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path} is not a mapping"
    return data


def healthcheck_argv(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return ["CMD-SHELL", test]
    return [str(t) for t in test]


# --- helm -------------------------------------------------------------------------------------


@cache
def chart_values() -> dict[str, Any]:
    data = yaml.safe_load((CHART / "values.yaml").read_text())
    assert isinstance(data, dict)
    return data


@cache
def chart_schema() -> dict[str, Any]:
    data = json.loads((CHART / "values.schema.json").read_text())
    assert isinstance(data, dict)
    return data


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of a values file over the defaults (maps merge, the rest replaces)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _template_words(text: str, component: str) -> str:
    """Replace template actions in one command word with what they render to by default."""
    text = text.replace("{{ .service }}", component)
    return re.sub(r"\{\{[^}]*\}\}", "1", text)


def helm_commands(component: str) -> list[list[str]]:
    """The argv lists a component's Deployment runs: its container command, and for the
    workers the `vectimus health` probes (from the workerProbe helper)."""
    text = (CHART / "templates" / f"deployment-{component}.yaml").read_text()
    found: list[list[str]] = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("command:") or "sleep" in stripped:
            continue
        rest = stripped.removeprefix("command:").strip()
        if rest.startswith("["):
            found.append([str(w) for w in json.loads(rest)])
            continue
        indent = len(line) - len(line.lstrip())
        argv: list[str] = []
        for item in lines[index + 1 :]:
            item_stripped = item.strip()
            if item_stripped.startswith("{{"):
                if re.match(r"\{\{-? (if|end|else)", item_stripped):
                    continue  # conditional flags are listed with the rest
                break
            if not item_stripped.startswith("- ") or len(item) - len(item.lstrip()) < indent:
                break
            argv.append(_template_words(item_stripped[2:].strip().strip('"'), component))
        if argv and argv[0] == "vectimus":
            found.append(argv)
        elif argv[:2] == ["sh", "-c"] and "vectimus " in " ".join(argv[2:]):
            found.append(["sh", "-c", " ".join(argv[2:])])
    if "vectimus.workerProbe" in text:
        helpers = (CHART / "templates" / "_helpers.tpl").read_text()
        match = re.search(r'define "vectimus.workerProbe".*?command: (\[[^\n]+\])', helpers, re.S)
        assert match, "no `vectimus health` command in the workerProbe helper"
        words = match.group(1).replace("{{ .service | quote }}", json.dumps(component))
        found.append([str(w) for w in json.loads(words)])
    return found


# --- argv of `vectimus` ---------------------------------------------------------------------------


def vectimus_argv(argv: list[str]) -> list[str] | None:
    """The `vectimus ...` argv in a command: direct, or behind `sh -c "exec vectimus ..."`
    (with shell variables left as words). None when it runs something else."""
    if argv and argv[0] in ("CMD", "CMD-SHELL"):
        argv = argv[1:] if argv[0] == "CMD" else ["sh", "-c", argv[1]]
    if argv and argv[0] == "vectimus":
        return argv[1:]
    if argv[:2] == ["sh", "-c"] and len(argv) >= 3:
        words = shlex.split(argv[2].split("||")[0])
        if words and words[0] == "exec":
            words = words[1:]
        if words and words[0] == "vectimus":
            return words[1:]
    return None


# --- uv.lock ------------------------------------------------------------------------------


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def lock_packages() -> dict[str, dict[str, Any]]:
    data = tomllib.loads((REPO / "uv.lock").read_text())
    return {normalise(p["name"]): p for p in data["package"]}


def lock_closure(root: str) -> set[str]:
    """Every package ``root`` installs from uv.lock (extras followed; markers not evaluated,
    so this over-approximates)."""
    packages = lock_packages()
    seen: set[str] = set()
    visited: set[tuple[str, tuple[str, ...]]] = set()
    todo: list[tuple[str, tuple[str, ...]]] = [(normalise(root), ())]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in visited:
            continue
        visited.add((name, extras))
        package = packages.get(name)
        if package is None:
            raise AssertionError(f"{name} is not in uv.lock")
        deps = list(package.get("dependencies", [])) if name not in seen else []
        seen.add(name)
        for extra in extras:
            deps.extend(package.get("optional-dependencies", {}).get(extra, []))
        for dep in deps:
            todo.append((normalise(dep["name"]), tuple(dep.get("extra", ()))))
    return seen


def workspace_members() -> dict[str, str]:
    """Workspace package name -> its directory, from the root pyproject.toml."""
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    members = root["tool"]["uv"]["workspace"]["members"]
    out = {}
    for member in members:
        meta = tomllib.loads((REPO / member / "pyproject.toml").read_text())
        out[normalise(meta["project"]["name"])] = member
    return out
