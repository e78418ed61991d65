"""Shell analysis never raises and stays fast on hostile input.

The wall-clock bounds are generous sanity limits, not benchmarks (bench/bench_shell.py is),
sized for a loaded two-core machine; tests/fuzz/test_shell.py checks growth with input size.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vectimus.core.shell import ShellAnalysis, analyse

_SHELLISH = st.lists(
    st.sampled_from([*"rm -f/~$(){}[]`'\"\\|&;<>*?!#=\n\tabcxyz0123", "<<", "EOF", "bash -c "]),
    max_size=120,
).map("".join)


def _check(line: str) -> ShellAnalysis:
    analysis = analyse(line, home="/home/me")
    assert isinstance(analysis, ShellAnalysis)
    assert analysis.raw == line
    for command in analysis.commands:
        assert isinstance(command.program, str)
        assert all(isinstance(arg, str) for arg in command.args)
    return analysis


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(line: str) -> None:
    _check(line)


@settings(max_examples=400, deadline=None)
@given(_SHELLISH)
def test_shell_like_text_never_raises(line: str) -> None:
    _check(line)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["rm -rf /", "git push -f", "curl x", "sh", "cat .env"]),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([" | ", " && ", "; ", " || "]),
)
def test_joined_commands_are_all_found(parts: list[str], joiner: str) -> None:
    analysis = _check(joiner.join(parts))
    for part in parts:
        assert part.split()[0] in analysis.programs


def _timed(line: str, limit: float = 6.0) -> ShellAnalysis:
    start = time.perf_counter()
    analysis = _check(line)
    elapsed = time.perf_counter() - start
    assert elapsed < limit, f"{elapsed:.2f}s for {len(line)} characters"
    return analysis


def test_astral_characters_do_not_crash_the_parser() -> None:
    # The grammar's scanner feeds code points to ctype tables sized for 256 entries; a
    # character beyond the BMP after ``{`` used to read out of bounds and segfault.
    for char in ("\U000f009b", "\U0002a6d6", "\U0010ffff", "\U0001f600"):
        for prefix in ("{", "${", "''{", "x{", "{a,"):
            analysis = _timed(prefix + char)
            assert isinstance(analysis, ShellAnalysis)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["{", "$", "'", '"', "<<", "(", " ", "\n"]), max_size=8),
    st.characters(min_codepoint=0x80),
)
def test_non_ascii_after_shell_syntax(prefix: list[str], char: str) -> None:
    _check("".join(prefix) + char + "".join(reversed(prefix)))


def test_text_keeps_non_ascii() -> None:
    analysis = _check("rm -rf ~/Ünïcødé/😀 && echo 'héllo' > fïle")
    rm = next(c for c in analysis.commands if c.program == "rm")
    assert rm.args == ("~/Ünïcødé/😀",)
    echo = next(c for c in analysis.commands if c.program == "echo")
    assert echo.write_paths == ("fïle",)


def test_nul_bytes() -> None:
    analysis = _timed("rm\x00 -rf /\x00; ls")
    assert analysis.programs


def test_lone_surrogates() -> None:
    _timed("rm -rf /\ud800; echo \udfff")
    _timed("\ud83d")


def test_one_megabyte_of_commands() -> None:
    analysis = _timed("rm -rf / ; " * 100_000)
    assert analysis.parse_error  # above the parser's size cap: tokenized conservatively
    assert "rm" in analysis.programs


def test_one_megabyte_of_junk() -> None:
    _timed("a'b\"c$(" * 130_000)


def test_one_megabyte_single_word() -> None:
    _timed("x" * 1_000_000)


def test_large_but_parseable() -> None:
    analysis = _timed("echo $(ls) | grep x; " * 10_000)
    assert {"echo", "ls", "grep"} <= analysis.programs


def test_deep_command_substitution() -> None:
    analysis = _timed("$(" * 500 + "rm -rf /" + ")" * 500)
    assert "rm" in analysis.programs


def test_unbalanced_deep_nesting() -> None:
    _timed("$(" * 5_000)
    _timed("(" * 100_000)
    _timed("{ " * 50_000)


def test_deep_parameter_expansion() -> None:
    _timed("echo " + "${a:-" * 2_000 + "x" + "}" * 2_000)


def test_deep_quoting() -> None:
    _timed('"$(echo ' * 300 + ')"' * 300)
    _timed("'" * 100_001)
    _timed("\\" * 100_001)


def test_pathological_bash_c_nesting() -> None:
    # Quoting grows about threefold per level: ten levels is ~90 kB of nested bash -c.
    line = "rm -rf /"
    for _ in range(10):
        line = "bash -c '" + line.replace("'", "'\\''") + "'"
    _timed(line)


def test_huge_pipeline() -> None:
    analysis = _timed("cat x" + " | cat" * 20_000)
    assert "cat" in analysis.programs


def test_huge_inline_code() -> None:
    code = "open('/etc/x'); " * 10_000 + "'" * 5_000
    _timed(f'python3 -c "{code}"')


def test_many_braces() -> None:
    _timed("echo " + "{a,b}" * 2_000)
    _timed("{" * 10_000 + "rm,-rf,/" + "}" * 10_000)


def test_non_string_like_input_is_stringified() -> None:
    assert analyse("").commands == ()
