"""compose.yaml and compose.tls.yaml: services, health checks and start-up order, images,
volumes, secrets through the environment, and the TLS example of docs/deploy.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.deploy._support import (
    COMPOSE,
    COMPOSE_TLS,
    DOCS,
    REPO,
    TARGETS,
    compose,
    dockerfile_stages,
    healthcheck_argv,
    image_env,
    interpolate,
    vectimus_argv,
)
from vectimus.core.config import load_config
from vectimus.core.config.load import ENVIRONMENT
from vectimus.core.config.models import PolicySettings
from vectimus.core.errors import ConfigError
from vectimus.core.runtime import server_environment
from vectimus.evaluator.settings import EvaluatorSettings
from vectimus.gateway.settings import load_settings

SERVICES = {"redis", "gateway", "evaluator", "receipt-signer", "audit-sink"}
VECTIMUS_SERVICES = SERVICES - {"redis"}


def services() -> dict[str, Any]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def _target(name: str) -> str:
    return str(services()[name]["build"]["target"])


def test_compose_parses_with_the_expected_services() -> None:
    assert set(services()) == SERVICES
    assert services()["evaluator"]["deploy"]["replicas"] == 2, "two evaluators"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_health_check(name: str) -> None:
    service = services()[name]
    assert "healthcheck" in service, f"{name} has no healthcheck"
    assert not service["healthcheck"].get("disable", False)
    argv = healthcheck_argv(service)
    assert argv[0] in ("CMD", "CMD-SHELL") and len(argv) > 1, argv
    for key in ("interval", "timeout", "retries"):
        assert key in service["healthcheck"], f"{name}: healthcheck.{key}"


@pytest.mark.parametrize("name", sorted(VECTIMUS_SERVICES))
def test_start_up_waits_for_health(name: str) -> None:
    depends = services()[name].get("depends_on")
    assert isinstance(depends, dict), f"{name}: depends_on must name conditions"
    assert "redis" in depends
    for other, condition in depends.items():
        assert other in SERVICES, f"{name} depends on unknown service {other}"
        assert condition == {"condition": "service_healthy"}, (name, other, condition)


def test_the_gateway_starts_last() -> None:
    depends = services()["gateway"]["depends_on"]
    assert set(depends) == SERVICES - {"gateway"}
    check = healthcheck_argv(services()["gateway"])
    assert check[-1].endswith("/ready"), "the gateway is healthy when /ready answers"


@pytest.mark.parametrize("name", sorted(VECTIMUS_SERVICES))
def test_images_are_built_from_the_dockerfile_targets(name: str) -> None:
    build = services()[name]["build"]
    assert build["context"] == "."
    assert (REPO / build["dockerfile"]).resolve() == (REPO / "deploy" / "Dockerfile").resolve()
    assert build["target"] in dockerfile_stages(), f"{name}: no target {build['target']}"
    assert build["target"] in TARGETS
    image = interpolate(services()[name]["image"])
    assert image.startswith(f"vectimus-{build['target']}:"), image


@pytest.mark.parametrize("name", sorted(VECTIMUS_SERVICES))
def test_commands_run_the_right_service(name: str) -> None:
    argv = vectimus_argv([str(w) for w in services()[name]["command"]])
    assert argv is not None, f"{name}: command is not `vectimus ...`"
    if name == "gateway":
        assert argv[:2] == ["server", "start"]
        assert argv[argv.index("--port") + 1] == "8420"
        assert argv[argv.index("--host") + 1] == "0.0.0.0"
    else:
        assert argv[:2] == ["service", name]
        check = vectimus_argv(healthcheck_argv(services()[name]))
        assert check is not None and check[0] == "health", check
        assert check[check.index("--service") + 1] == name
    redis_url = argv[argv.index("--redis-url") + 1]
    assert redis_url == "redis://redis:6379/0"


@pytest.mark.parametrize("name", sorted(VECTIMUS_SERVICES))
def test_read_only_and_unprivileged(name: str) -> None:
    service = services()[name]
    assert service.get("read_only") is True, f"{name}: read_only"
    assert service.get("cap_drop") == ["ALL"], f"{name}: cap_drop"
    assert "no-new-privileges:true" in service.get("security_opt", [])
    assert service.get("init") is True, f"{name}: init forwards SIGTERM for the drain"
    assert "/tmp" in service.get("tmpfs", [])


def _writable(service: dict[str, Any]) -> list[str]:
    paths = [str(t).split(":")[0] for t in service.get("tmpfs", [])]
    for volume in service.get("volumes", []):
        parts = str(volume).split(":")
        if len(parts) >= 2 and parts[-1] != "ro":
            paths.append(parts[1])
    return paths


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


@pytest.mark.parametrize("name", sorted(VECTIMUS_SERVICES))
def test_state_is_on_volumes_or_tmpfs(name: str) -> None:
    service = services()[name]
    env = {**image_env(_target(name)), **{k: str(v) for k, v in service["environment"].items()}}
    writable = _writable(service)
    for variable in ("VECTIMUS_HOME", "VECTIMUS_AUDIT_DIR", "VECTIMUS_RECEIPTS_DIR"):
        if variable in env:
            assert _under(env[variable], writable), (
                f"{name}: {variable}={env[variable]} is read-only"
            )


def test_volumes_for_the_signing_key_and_the_audit_log() -> None:
    declared = set(compose()["volumes"])

    def named_mounts(name: str) -> dict[str, str]:
        out = {}
        for volume in services()[name].get("volumes", []):
            source, target = str(volume).split(":")[:2]
            out[target] = source
        return out

    signer = named_mounts("receipt-signer")
    home = image_env("receipt-signer")["VECTIMUS_HOME"]
    mount = next(t for t in signer if _under(home, [t]))
    assert signer[mount] in declared, "the signing key is on a named volume"
    sink = named_mounts("audit-sink")
    env = services()["audit-sink"]["environment"]
    for variable in ("VECTIMUS_AUDIT_DIR", "VECTIMUS_RECEIPTS_DIR"):
        target = next(t for t in sink if _under(env[variable], [t]))
        assert sink[target] in declared, f"{variable} is on a named volume"
    assert services()["redis"]["volumes"] == ["redis-data:/data"]
    assert "redis-data" in declared


def test_redis_persists_and_never_evicts() -> None:
    command = [str(w) for w in services()["redis"]["command"]]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD", re.I)


@pytest.mark.parametrize("path", [COMPOSE, COMPOSE_TLS], ids=lambda p: p.name)
def test_no_literal_secrets(path: Any) -> None:
    for name, service in compose(path)["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment as a mapping"
        for variable, value in environment.items():
            if SECRET_NAME.search(variable):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}", str(value)), (
                    f"{name}: {variable} must come from .env (${{...}}), not a literal"
                )


def test_api_keys_come_from_env_and_are_required() -> None:
    value = services()["gateway"]["environment"]["VECTIMUS_API_KEYS"]
    with pytest.raises(KeyError):
        interpolate(value)  # no .env: compose refuses to start, naming the variable
    assert interpolate(value, {"VECTIMUS_API_KEYS": "ci:k"}) == "ci:k"
    example = (REPO / ".env.example").read_text()
    assert re.search(r"^VECTIMUS_API_KEYS=$", example, re.M), ".env.example ships no key"
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in ignored and "deploy/tls/" in ignored


def test_gateway_is_published_on_8420() -> None:
    ports = [interpolate(str(p)) for p in services()["gateway"]["ports"]]
    assert ports == ["127.0.0.1:8420:8420"]


# --- policies: the baked-in packs, or a signed bundle ---------------------------------------

POLICY_SERVICES = {"gateway", "evaluator"}
# The variable -> the [policies] key it sets, as the config loader's table has it.
BUNDLE_VARIABLES = {
    "VECTIMUS_BUNDLE_URL": "bundle_url",
    "VECTIMUS_BUNDLE_POLL_S": "bundle_poll_s",
    "VECTIMUS_TRUSTED_KEYS": "trusted_keys",
}


def test_the_bundle_variables_are_the_loaders() -> None:
    for variable, key in {**BUNDLE_VARIABLES, "VECTIMUS_POLICY_DIR": "dir"}.items():
        assert ENVIRONMENT[variable][:2] == ("policies", key), variable


@pytest.mark.parametrize("name", sorted(VECTIMUS_SERVICES))
def test_bundle_settings_reach_the_gateway_and_the_evaluators_only(name: str) -> None:
    environment = services()[name]["environment"]
    wanted = {*BUNDLE_VARIABLES, "VECTIMUS_POLICY_DIR"}
    if name not in POLICY_SERVICES:
        assert not wanted & set(environment), f"{name} does not load policies"
        return
    assert wanted <= set(environment), f"{name}: {sorted(wanted - set(environment))}"
    for variable in BUNDLE_VARIABLES:
        value = str(environment[variable])
        assert interpolate(value) == "", f"{name}: {variable} is empty unless .env sets it"
        assert interpolate(value, {variable: "x"}) == "x"
    # The image's directory unless .env sets one; `VECTIMUS_POLICY_DIR=` (empty) sets none.
    policy_dir = str(environment["VECTIMUS_POLICY_DIR"])
    assert interpolate(policy_dir) == image_env(_target(name))["VECTIMUS_POLICY_DIR"]
    assert interpolate(policy_dir, {"VECTIMUS_POLICY_DIR": ""}) == ""
    assert interpolate(policy_dir, {"VECTIMUS_POLICY_DIR": "/srv/p"}) == "/srv/p"


def docs_bundle_env() -> dict[str, str]:
    """The .env lines of docs/deploy.md's compose bundle example."""
    section = DOCS.read_text().split("## Signed policy bundles", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip()]
    assert all(re.fullmatch(r"VECTIMUS_[A-Z_]+=\S*", line) for line in lines), lines
    return dict(line.split("=", 1) for line in lines)


def container_env(name: str, dotenv: dict[str, str]) -> dict[str, str]:
    """The VECTIMUS_* variables a container of ``name`` starts with: the image's, then
    compose.yaml's interpolated with ``dotenv``."""
    env = {k: v for k, v in image_env(_target(name)).items() if k.startswith("VECTIMUS_")}
    dotenv = {"VECTIMUS_API_KEYS": "ci:" + "k" * 32, **dotenv}
    for variable, value in services()[name]["environment"].items():
        env[variable] = interpolate(str(value), dotenv)
    env.pop("VECTIMUS_HOME", None)  # the test's own VECTIMUS_HOME stays in force
    return env


def container_policies(name: str, env: dict[str, str], tmp_path: Path) -> PolicySettings:
    """``[policies]`` as the service loads it: its own settings read VECTIMUS_POLICY_DIR
    first, then the core loader sees what the server passes on."""
    if name == "gateway":
        policy_dir = load_settings(environ=env, cwd=tmp_path).policy_dir
    else:
        policy_dir = EvaluatorSettings.from_env(env).policy_dir
    loaded = load_config(None, server_environment(env, policy_dir=policy_dir, observe=False))
    return loaded.settings.policies


@pytest.mark.parametrize("name", sorted(POLICY_SERVICES))
def test_without_a_bundle_the_images_packs_load(name: str, tmp_path: Path) -> None:
    policies = container_policies(name, container_env(name, {}), tmp_path)
    assert policies.dir == Path(image_env(_target(name))["VECTIMUS_POLICY_DIR"])
    assert (policies.bundle_url, policies.trusted_keys, policies.bundle_poll_s) == ("", (), 30.0)


@pytest.mark.parametrize("name", sorted(POLICY_SERVICES))
def test_the_docs_bundle_example_loads(name: str, tmp_path: Path) -> None:
    dotenv = docs_bundle_env()
    assert set(BUNDLE_VARIABLES) <= set(dotenv)
    policies = container_policies(name, container_env(name, dotenv), tmp_path)
    assert policies.dir is None, "a bundle and a policy directory are alternatives"
    assert policies.bundle_url == dotenv["VECTIMUS_BUNDLE_URL"]
    assert policies.trusted_keys == tuple(dotenv["VECTIMUS_TRUSTED_KEYS"].split(","))
    assert policies.bundle_poll_s == float(dotenv["VECTIMUS_BUNDLE_POLL_S"])


def test_a_bundle_beside_the_images_directory_names_the_conflict(tmp_path: Path) -> None:
    dotenv = {k: v for k, v in docs_bundle_env().items() if k != "VECTIMUS_POLICY_DIR"}
    with pytest.raises(ConfigError, match=r"bundle_url and dir \(VECTIMUS_POLICY_DIR"):
        container_policies("evaluator", container_env("evaluator", dotenv), tmp_path)
    assert "bundle_url and dir (VECTIMUS_POLICY_DIR, --policy-dir) are alternatives" in (
        DOCS.read_text()
    )


# --- TLS ---------------------------------------------------------------------------------


def test_tls_override_adds_the_certificate_flags_to_the_same_command() -> None:
    base = [str(w) for w in services()["gateway"]["command"]]
    tls_gateway = compose(COMPOSE_TLS)["services"]["gateway"]
    command = [str(w) for w in tls_gateway["command"]]
    assert command[: len(base)] == base, "compose.tls.yaml must change only the TLS flags"
    extra = command[len(base) :]
    assert extra[0::2] == ["--ssl-certfile", "--ssl-keyfile"], extra
    secrets = compose(COMPOSE_TLS)["secrets"]
    for path in extra[1::2]:
        name = path.removeprefix("/run/secrets/")
        assert path.startswith("/run/secrets/") and name in tls_gateway["secrets"], path
        assert "file" in secrets[name], f"secret {name} has no file"
    check = healthcheck_argv(tls_gateway)
    assert check[-1] == "https://127.0.0.1:8420/ready"


def test_docs_tls_example_matches_the_override() -> None:
    docs = DOCS.read_text()
    assert "docker compose -f compose.yaml -f compose.tls.yaml up -d" in docs
    secrets = compose(COMPOSE_TLS)["secrets"]
    cert = interpolate(secrets["vectimus-tls-cert"]["file"]).removeprefix("./")
    key = interpolate(secrets["vectimus-tls-key"]["file"]).removeprefix("./")
    # The docs make the pair at the paths the override reads by default.
    assert f"-out {cert}" in docs and f"-keyout {key}" in docs
    assert f"--cacert {cert} https://localhost:8420/" in docs
