"""The Helm chart without helm: Chart.yaml, values.yaml against values.schema.json (and bad
values refused, naming the key), values the templates use, and what the templates must hold."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy._support import (
    CHART,
    DOCS,
    TARGETS,
    chart_schema,
    chart_values,
    deep_merge,
    image_env,
)
from vectimus.core.config.load import ENVIRONMENT

TEMPLATES = CHART / "templates"
KEY = "ed25519:" + "ab" * 32


def validator() -> jsonschema.Draft7Validator:
    schema = chart_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors_for(overrides: dict[str, Any]) -> list[tuple[str, str]]:
    values = deep_merge(chart_values(), overrides)
    return [
        ("/".join(str(p) for p in error.absolute_path), error.message)
        for error in validator().iter_errors(values)
    ]


def test_chart_yaml() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "vectimus"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(chart["appVersion"]))
    assert chart["type"] == "application"


def test_default_values_validate() -> None:
    assert errors_for({}) == []


CI_VALUES = sorted(path.name for path in (CHART / "ci").glob("*.yaml"))


def test_the_example_values_are_found() -> None:
    for name in (
        "production-values.yaml",
        "features-values.yaml",
        "existing-resources-values.yaml",
        "bundle-values.yaml",
    ):
        assert name in CI_VALUES


@pytest.mark.parametrize("name", CI_VALUES)
def test_example_values_validate(name: str) -> None:
    overrides = yaml.safe_load((CHART / "ci" / name).read_text())
    assert errors_for(overrides) == []


def test_the_docs_bundle_example_validates() -> None:
    """The Helm example of docs/deploy.md, "Signed policy bundles"."""
    section = DOCS.read_text().split("## Signed policy bundles", 1)[1].split("\n## ", 1)[0]
    values = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    bundle = values["policies"]["bundle"]
    assert bundle["url"] and bundle["trustedKeys"], bundle
    assert errors_for(values) == []
    # The same bundle as the compose example beside it, so the two stay in step.
    assert f"VECTIMUS_BUNDLE_URL={bundle['url']}\n" in section
    assert f"VECTIMUS_TRUSTED_KEYS={','.join(bundle['trustedKeys'])}\n" in section


def test_trusted_keys_may_come_from_a_configmap() -> None:
    bundle = {"url": "https://p.example/b.json", "trustedKeysConfigMap": "vectimus-trusted-keys"}
    assert errors_for({"policies": {"bundle": bundle}}) == []


def _objects(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            found.append((path, node))
        for key, value in node.items():
            found.extend(_objects(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_objects(value, f"{path}/{index}"))
    return found


# Kubernetes objects passed through as they are: the schema pins the fields that matter.
OPEN_OBJECTS = {
    "/properties/podSecurityContext",
    "/properties/securityContext",
    "/properties/securityContext/properties/capabilities",
    "/definitions/envList/items",
}


def test_schema_refuses_unknown_keys() -> None:
    """A misspelt key is an error, not a silently ignored setting."""
    for path, node in _objects(chart_schema()):
        if path in OPEN_OBJECTS or "/if/" in path or "/then/" in path:
            continue
        assert node.get("additionalProperties") is False, f"{path} accepts unknown keys"


BAD_VALUES: list[tuple[str, dict[str, Any], str, str]] = [
    ("typo at the top", {"gatway": {}}, "", "'gatway' was unexpected"),
    ("typo inside", {"gateway": {"replica": 3}}, "gateway", "'replica' was unexpected"),
    ("no replicas", {"gateway": {"replicas": 0}}, "gateway/replicas", "less than the minimum of 1"),
    ("pull policy", {"image": {"pullPolicy": "Sometimes"}}, "image/pullPolicy", "is not one of"),
    (
        "writable root",
        {"securityContext": {"readOnlyRootFilesystem": False}},
        "securityContext/readOnlyRootFilesystem",
        "True was expected",
    ),
    (
        "privilege escalation",
        {"securityContext": {"allowPrivilegeEscalation": True}},
        "securityContext/allowPrivilegeEscalation",
        "False was expected",
    ),
    (
        "root",
        {"podSecurityContext": {"runAsNonRoot": False}},
        "podSecurityContext/runAsNonRoot",
        "True was expected",
    ),
    (
        "capabilities kept",
        {"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}},
        "securityContext/capabilities/drop",
        "None of ['NET_RAW'] are valid",
    ),
    (
        "no Redis at all",
        {"redis": {"internal": {"enabled": False}}},
        "redis/external/url",
        "should be non-empty",
    ),
    (
        "not a Redis URL",
        {"redis": {"internal": {"enabled": False}, "external": {"url": "http://cache:6379"}}},
        "redis/external/url",
        "does not match",
    ),
    ("weak API key", {"auth": {"apiKeys": {"ci": "short"}}}, "auth/apiKeys/ci", "is too short"),
    (
        "API key breaking the name:key,... format",
        {"auth": {"apiKeys": {"ci": "abcdefghijklmnop,q:r"}}},
        "auth/apiKeys/ci",
        "does not match",
    ),
    (
        "bad quantity",
        {"gateway": {"resources": {"limits": {"memory": "lots"}}}},
        "gateway/resources/limits/memory",
        "does not match",
    ),
    (
        "TLS without a certificate",
        {"gateway": {"tls": {"enabled": True}}},
        "gateway/tls/existingSecret",
        "should be non-empty",
    ),
    (
        "ingress without a host",
        {"gateway": {"ingress": {"enabled": True}}},
        "gateway/ingress/host",
        "should be non-empty",
    ),
    (
        "pack name",
        {"policies": {"custom": {"My Pack": {"a.cedar": ""}}}},
        "policies/custom",
        "does not match",
    ),
    (
        "policy file name",
        {"policies": {"custom": {"team": {"notes.txt": ""}}}},
        "policies/custom/team",
        "does not match",
    ),
    ("env not VECTIMUS_*", {"env": {"PATH": "/x"}}, "env", "does not match"),
    (
        "CPU target over 100",
        {"evaluator": {"autoscaling": {"targetCPUUtilizationPercentage": 150}}},
        "evaluator/autoscaling/targetCPUUtilizationPercentage",
        "greater than the maximum of 100",
    ),
    (
        "signing key not PEM",
        {"signingKey": {"pem": "not a key"}},
        "signingKey/pem",
        "does not match",
    ),
    (
        "no persistence size",
        {"auditSink": {"persistence": {"size": "big"}}},
        "auditSink/persistence/size",
        "does not match",
    ),
    (
        "bundle URL not http(s)",
        {"policies": {"bundle": {"url": "ftp://p.example/b.json", "trustedKeys": [KEY]}}},
        "policies/bundle/url",
        "does not match",
    ),
    (
        "bundle URL without a scheme",
        {"policies": {"bundle": {"url": "p.example/b.json", "trustedKeys": [KEY]}}},
        "policies/bundle/url",
        "does not match",
    ),
    (
        "bundle URL with no trusted key",
        {"policies": {"bundle": {"url": "https://p.example/b.json"}}},
        "policies/bundle/trustedKeys",
        "should be non-empty",
    ),
    (
        "trusted key not a public key",
        {"policies": {"bundle": {"trustedKeys": ["ed25519:abc"]}}},
        "policies/bundle/trustedKeys/0",
        "does not match",
    ),
    (
        "poll every 0 seconds",
        {"policies": {"bundle": {"pollSeconds": 0}}},
        "policies/bundle/pollSeconds",
        "less than or equal to the minimum of 0",
    ),
    (
        "poll a negative interval",
        {"policies": {"bundle": {"pollSeconds": -5}}},
        "policies/bundle/pollSeconds",
        "less than or equal to the minimum of 0",
    ),
    (
        "poll interval not a number",
        {"policies": {"bundle": {"pollSeconds": "30s"}}},
        "policies/bundle/pollSeconds",
        "is not of type 'number'",
    ),
    (
        "poll less than daily",
        {"policies": {"bundle": {"pollSeconds": 86401}}},
        "policies/bundle/pollSeconds",
        "greater than the maximum of 86400",
    ),
    (
        "trusted keys ConfigMap name",
        {"policies": {"bundle": {"trustedKeysConfigMap": "Trusted_Keys"}}},
        "policies/bundle/trustedKeysConfigMap",
        "does not match",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "path", "message"),
    [case[1:] for case in BAD_VALUES],
    ids=[case[0] for case in BAD_VALUES],
)
def test_bad_values_are_refused_naming_the_key(
    overrides: dict[str, Any], path: str, message: str
) -> None:
    errors = errors_for(overrides)
    assert errors, f"accepted: {overrides}"
    assert any(p == path and message in m for p, m in errors), errors


def test_cross_field_checks_fail_with_a_message() -> None:
    """What the schema cannot say, templates/validate.yaml says with `fail`."""
    text = (TEMPLATES / "validate.yaml").read_text()
    for needle in (
        "both the in-chart Redis",
        "maxReplicas",
        "preStopSleepSeconds",
        "set pem or existingSecret, not both",
        "set custom or existingConfigMap, not both",
        "set bundle.url or custom (existingConfigMap), not both",
        "set trustedKeys or trustedKeysConfigMap, not both",
    ):
        assert needle in text


def _resolves(values: dict[str, Any], dotted: str) -> bool:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


COMPONENT_KEYS = [key for _, _, _, key in TARGETS.values()]


def _bindings(text: str) -> list[str]:
    """The values keys `$values` stands for in one template (`$values := .Values.gateway`, or
    `range $component, $values := dict "gateway" .Values.gateway ...`)."""
    keys = re.findall(r"\$values := \.Values\.([\w.]+)", text)
    for match in re.finditer(r"\$values := dict ((?:\"[^\"]+\" \.Values\.\w+ ?)+)", text):
        keys.extend(re.findall(r"\.Values\.(\w+)", match.group(1)))
    return keys


def test_every_value_the_templates_use_has_a_default() -> None:
    """.Values.x.y, $values.x (a component's values) and .values.x (the helpers' argument, any
    component) must all name keys of values.yaml: a typo would render as empty."""
    missing = []
    values = chart_values()
    for template in sorted(TEMPLATES.rglob("*")):
        if not template.is_file():
            continue
        text = template.read_text()
        where = template.relative_to(CHART)
        for match in re.finditer(r"\.Values\.([A-Za-z0-9_.]+)", text):
            dotted = match.group(1).rstrip(".")
            if not _resolves(values, dotted):
                missing.append(f"{where}: .Values.{dotted}")
        bound = _bindings(text)
        for match in re.finditer(r"\$values\.([A-Za-z0-9_.]+)", text):
            assert bound, f"{where}: $values is used but not bound to .Values.<component>"
            for key in bound:
                dotted = f"{key}.{match.group(1).rstrip('.')}"
                if not _resolves(values, dotted):
                    missing.append(f"{where}: $values.{match.group(1)} (as .Values.{dotted})")
        for match in re.finditer(r"(?<![A-Za-z$])\.values\.([A-Za-z0-9_.]+)", text):
            for key in COMPONENT_KEYS:
                dotted = f"{key}.{match.group(1).rstrip('.')}"
                optional = match.group(1).split(".")[0] == "topologySpreadConstraints"
                if not _resolves(values, dotted) and not optional:
                    missing.append(f"{where}: .values.{match.group(1)} (as .Values.{dotted})")
    assert not missing, missing


def test_templates() -> None:
    names = {p.name for p in TEMPLATES.iterdir()}
    for component in TARGETS:
        assert f"deployment-{component}.yaml" in names
    for required in (
        "_helpers.tpl",
        "service-gateway.yaml",
        "hpa.yaml",
        "pdb.yaml",
        "configmap-policies.yaml",
        "secret-api-keys.yaml",
        "secret-signing-key.yaml",
        "secret-redis.yaml",
        "redis.yaml",
        "NOTES.txt",
    ):
        assert required in names, required


def _template(name: str) -> str:
    return (TEMPLATES / name).read_text()


def test_gateway_probes_and_rolling_update() -> None:
    text = _template("deployment-gateway.yaml")
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz")):
        block = text.split(f"{probe}:")[1].split("Probe:")[0]
        assert f"path: {path}" in block, probe
    readiness = text.split("readinessProbe:")[1].split("lifecycle:")[0]
    assert "path: /ready" in readiness
    assert "type: RollingUpdate" in text and "maxUnavailable: 0" in text
    assert "preStop:" in text
    service = _template("service-gateway.yaml")
    assert "publishNotReadyAddresses: false" in service and "targetPort: api" in service
    assert "containerPort: 8420" in text


@pytest.mark.parametrize("component", list(TARGETS))
def test_every_deployment_is_locked_down(component: str) -> None:
    text = _template(f"deployment-{component}.yaml")
    assert 'include "vectimus.podCommon"' in text
    assert text.count("toYaml .Values.securityContext") >= 1
    for probe in ("startupProbe:", "livenessProbe:", "readinessProbe:"):
        assert probe in text, f"{component}: {probe}"
    assert "mountPath: /tmp" in text and "mountPath: /var/lib/vectimus" in text
    helpers = _template("_helpers.tpl")
    assert "automountServiceAccountToken: false" in helpers
    assert "toYaml .root.Values.podSecurityContext" in helpers
    sc = chart_values()["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["runAsNonRoot"] is True and sc["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("component", ["receipt-signer", "audit-sink"])
def test_single_writers_are_recreated_not_rolled(component: str) -> None:
    text = _template(f"deployment-{component}.yaml")
    assert "replicas: 1" in text and "type: Recreate" in text


def test_autoscaling_and_budgets_cover_the_gateway_and_the_evaluators() -> None:
    for name in ("hpa.yaml", "pdb.yaml"):
        text = _template(name)
        assert '"gateway" .Values.gateway "evaluator" .Values.evaluator' in text, name
    assert "autoscaling/v2" in _template("hpa.yaml")
    assert "policy/v1" in _template("pdb.yaml")
    for component in ("gateway", "evaluator"):
        text = _template(f"deployment-{component}.yaml")
        assert "if not $values.autoscaling.enabled" in text, f"{component}: replicas vs HPA"


def test_secrets_support_existing_ones() -> None:
    helpers = _template("_helpers.tpl")
    for value in (
        "auth.existingSecret",
        "signingKey.existingSecret",
        "redis.external.existingSecret",
    ):
        assert f".Values.{value}" in helpers, value
    assert "if not .Values.auth.existingSecret" in _template("secret-api-keys.yaml")
    assert "not .Values.signingKey.existingSecret" in _template("secret-signing-key.yaml")
    assert "not .Values.redis.external.existingSecret" in _template("secret-redis.yaml")
    # The Redis URL may carry a password: a secretKeyRef, never a literal, when external.
    assert "secretKeyRef" in helpers.split('define "vectimus.redisUrlEnv"')[1]


def test_policies_mount_where_the_images_read_them() -> None:
    helpers = _template("_helpers.tpl")
    mount = re.search(r"name: policies\n\s+mountPath: (\S+)", helpers)
    assert mount, "no policies mount in _helpers.tpl"
    for component in ("gateway", "evaluator"):
        assert image_env(component)["VECTIMUS_POLICY_DIR"] == mount.group(1)
        text = _template(f"deployment-{component}.yaml")
        assert 'include "vectimus.policiesMount"' in text and "checksum/policies" in text


def _policies_env() -> tuple[str, str]:
    """The vectimus.policiesEnv helper's two branches: with a bundle url, and without."""
    helpers = _template("_helpers.tpl")
    body = helpers.split('define "vectimus.policiesEnv"', 1)[1].split("{{- end }}\n{{- end }}")[0]
    with_bundle, _, without = body.partition("{{- else -}}")
    assert "{{- if $bundle.url -}}" in with_bundle and without, body
    assert "$bundle := .Values.policies.bundle" in body
    return with_bundle, without


@pytest.mark.parametrize("component", list(TARGETS))
def test_only_the_gateway_and_the_evaluators_get_the_policies_env(component: str) -> None:
    text = _template(f"deployment-{component}.yaml")
    included = 'include "vectimus.policiesEnv" . | nindent 12' in text
    assert included is (component in ("gateway", "evaluator")), component
    assert "VECTIMUS_BUNDLE" not in text and "VECTIMUS_POLICY_DIR" not in text


def test_the_policies_env_sets_the_loaders_variables() -> None:
    with_bundle, without = _policies_env()
    # Without a bundle: the directory the images (and the custom packs) use.
    policy_dir = image_env("gateway")["VECTIMUS_POLICY_DIR"]
    assert f"- name: VECTIMUS_POLICY_DIR\n  value: {policy_dir}" in without
    assert "VECTIMUS_BUNDLE" not in without
    # With one: the image's directory emptied (an empty variable is unset), and the bundle's.
    assert '- name: VECTIMUS_POLICY_DIR\n  value: ""' in with_bundle
    for variable, value in (
        ("VECTIMUS_BUNDLE_URL", "{{ $bundle.url | quote }}"),
        ("VECTIMUS_BUNDLE_POLL_S", "{{ $bundle.pollSeconds | quote }}"),
    ):
        assert f"- name: {variable}\n  value: {value}" in with_bundle, variable
    keys = with_bundle.split("- name: VECTIMUS_TRUSTED_KEYS", 1)[1]
    assert '{{ join "," $bundle.trustedKeys | quote }}' in keys  # the loader splits on commas
    assert "configMapKeyRef:\n      name: {{ $bundle.trustedKeysConfigMap }}" in keys
    assert "key: {{ $bundle.trustedKeysConfigMapKey }}" in keys
    for variable, key in (
        ("VECTIMUS_POLICY_DIR", "dir"),
        ("VECTIMUS_BUNDLE_URL", "bundle_url"),
        ("VECTIMUS_BUNDLE_POLL_S", "bundle_poll_s"),
        ("VECTIMUS_TRUSTED_KEYS", "trusted_keys"),
    ):
        assert ENVIRONMENT[variable][:2] == ("policies", key), variable
    parse = ENVIRONMENT["VECTIMUS_TRUSTED_KEYS"][2]
    assert parse("VECTIMUS_TRUSTED_KEYS", f"{KEY},{KEY}") == [KEY, KEY]


def test_image_names_match_the_dockerfile_targets() -> None:
    for target, (_, _, _, key) in TARGETS.items():
        assert chart_values()[key]["image"]["repository"] == f"vectimus-{target}"


def test_in_chart_redis_is_marked_for_trials() -> None:
    text = _template("redis.yaml")
    assert "FOR TRIALS ONLY" in text and "not-for-production" in text
    assert "FOR TRIALS ONLY" in (CHART / "values.yaml").read_text()
