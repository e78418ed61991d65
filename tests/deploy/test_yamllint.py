"""yamllint, with the repository's .yamllint, on the plain YAML of the deployment (the Helm
templates are Go templates: `make deploy-check` runs `helm lint` on them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from yamllint import linter
from yamllint.config import YamlLintConfig

from tests.deploy._support import CHART, REPO


def yaml_files() -> list[Path]:
    found = [*REPO.glob("*.yaml"), *REPO.glob("*.yml"), REPO / ".yamllint"]
    for directory in (CHART, REPO / "deploy"):
        found.extend(directory.rglob("*.yaml"))
        found.extend(directory.rglob("*.yml"))
    return sorted(set(found))


def test_the_config_leaves_out_the_templates() -> None:
    config = YamlLintConfig(file=str(REPO / ".yamllint"))
    assert config.is_file_ignored("helm/vectimus/templates/deployment-gateway.yaml")
    assert not config.is_file_ignored("helm/vectimus/values.yaml")


def test_the_deploy_yaml_is_found() -> None:
    names = {p.relative_to(REPO).as_posix() for p in yaml_files()}
    for expected in (
        "compose.yaml",
        "compose.tls.yaml",
        "helm/vectimus/Chart.yaml",
        "helm/vectimus/values.yaml",
        "helm/vectimus/ci/production-values.yaml",
    ):
        assert expected in names


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_yamllint(path: Path) -> None:
    config = YamlLintConfig(file=str(REPO / ".yamllint"))
    relative = path.relative_to(REPO).as_posix()
    if config.is_file_ignored(relative):
        return
    problems = list(linter.run(path.read_text(), config, relative))
    assert not problems, "\n".join(
        f"{relative}:{p.line}:{p.column}: [{p.level}] {p.message} ({p.rule})" for p in problems
    )
