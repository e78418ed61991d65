"""Programs that run a command given in their own words, beside doing their own job.

``flock /tmp/l rm -rf /``, ``uv run rm -rf /``, ``docker compose exec web rm -rf /``,
``ssh host 'rm -rf /'`` and ``tmux new -d 'rm -rf /'`` all run ``rm``. Unlike a wrapper
(:mod:`.wrappers`), such a program keeps its own record (its flags and subcommand still
matter to rules); the command it runs is analysed as well, as one more simple command.
Commands run in a container or on another host are analysed like local ones: deleting
``/`` there is no better.
"""

from __future__ import annotations

from dataclasses import dataclass

from vectimus.core.shell.model import Runs
from vectimus.core.shell.options import word_set
from vectimus.core.shell.runforms import EDITORS, SPECIAL, editor, tmux_keys


@dataclass(frozen=True, slots=True)
class _Form:
    """Options (those taking a value listed), ``operands`` positional words of the runner's
    own, then the command. ``code`` options carry shell code instead (``script -c``)."""

    values: frozenset[str] = frozenset()
    operands: int = 0
    code: frozenset[str] = frozenset()
    # The command is only what follows ``--`` (``kubectl run x --image=i -- cmd``).
    after_dashes: bool = False
    # The command words are joined into one line for a shell (``ssh host rm -rf /``).
    joined: bool = False


def _form(
    values: str = "",
    operands: int = 0,
    code: str = "",
    *,
    dashes: bool = False,
    joined: bool = False,
) -> _Form:
    return _Form(word_set(values), operands, word_set(code), dashes, joined)


_SSH_VALUES = "-i -o -F -p -l -L -R -D -J -b -c -E -e -I -m -O -Q -S -W -w -B -P"
_DOCKER_EXEC = "-e --env --env-file -u --user -w --workdir --detach-keys --index"
_DOCKER_RUN_VALUES = (
    "--entrypoint -v --volume -e --env --env-file -p --publish -u --user --name -w --workdir "
    "--mount --network --net --pid --ipc --uts --cap-add --cap-drop --security-opt --platform "
    "--device -l --label --label-file -h --hostname --add-host --dns --restart -m --memory "
    "--cpus --gpus --log-driver --log-opt --tmpfs --ulimit --userns --cgroupns --runtime "
    "--stop-signal --ip --link --volumes-from --shm-size -a --attach --cidfile "
    "--detach-keys --group-add --pull"
)
_KUBECTL_VALUES = (
    "-n --namespace --context --kubeconfig --cluster --user -s --server --token -c "
    "--container -f --filename --pod-running-timeout --as"
)

# Programs that run the rest of their words (after their options and operands).
_PLAIN: dict[str, _Form] = {
    "flock": _form("-w --timeout -E --conflict-exit-code", 1, "-c --command"),
    "chroot": _form("--userspec --groups", 1),
    "nsenter": _form("-t --target -S --setuid -G --setgid --wd --wdns -r --root"),
    "unshare": _form("--propagation --setgroups --map-user --map-group -S --setuid -G --setgid"),
    "fakeroot": _form("-l --lib --faked -s -i"),
    "firejail": _form(),
    "systemd-run": _form(
        "-u --unit -p --property --description --slice -E --setenv --uid --gid -M --machine "
        "--on-active --on-calendar -H --host --working-directory"
    ),
    "setpriv": _form("--reuid --regid --groups --inh-caps --bounding-set --securebits"),
    "sg": _form("", 1, "-c", joined=True),
    "proxychains": _form("-f"),
    "proxychains4": _form("-f"),
    "torsocks": _form("-u -p -a -P"),
    "xvfb-run": _form("-n --server-num -s --server-args -f --auth-file -e --error-file"),
    "dbus-run-session": _form("--config-file --dbus-daemon"),
    "sshpass": _form("-p -f -d -P"),
    "ssh-agent": _form("-a -E -t -P"),
    "catchsegv": _form(),
    "valgrind": _form(),
    "script": _form(
        "-E --echo -I --log-in -O --log-out -B --log-io -T --log-timing", 0, "-c --command"
    ),
    "cross-env": _form(),
    "env-cmd": _form("-f --file -e --environments -r --rc-file"),
    "dotenv": _form("-e -v -c", dashes=True),
    "watchexec": _form(dashes=True),
    "nix-shell": _form("-p --packages -I --arg --argstr", 0, "--run --command"),
    "ssh": _form(_SSH_VALUES, 1, joined=True),
    "npx": _form("-p --package -w --workspace --prefix --registry --cache", 0, "-c --call"),
    "bunx": _form("-p --package"),
    "pnpx": _form(),
    "uvx": _form(
        "--from --with --with-editable --with-requirements -p --python --index "
        "--default-index -i --index-url --extra-index-url -f --find-links"
    ),
    "at": _form("-q -f -t"),
    "batch": _form("-q -f"),
}

# ``program [global options] subcommand [options] [operands] command...``
_GLOBAL: dict[str, frozenset[str]] = {
    "docker": word_set("-H --host --context -c --config -l --log-level --tlscacert --tlscert"),
    "kubectl": word_set(_KUBECTL_VALUES),
    "uv": word_set("--directory --project --cache-dir --config-file --color"),
    "npm": word_set("-w --workspace --prefix --registry --cache --userconfig"),
    "pnpm": word_set("-C --dir -F --filter -w --workspace-root"),
    "conda": word_set(""),
    "tmux": word_set("-L -S -f -c"),
}
_SUB: dict[str, dict[str, _Form]] = {
    "uv": {
        "run": _form(
            "--with --with-editable --with-requirements -p --python --project --directory "
            "--package --extra --group --only-group --no-group --env-file --index "
            "--default-index -i --index-url --extra-index-url -f --find-links"
        )
    },
    "poetry": {"run": _form("-C --directory -P --project")},
    "pipenv": {"run": _form()},
    "pdm": {"run": _form("-p --project")},
    "hatch": {"run": _form()},
    "rye": {"run": _form()},
    "pixi": {"run": _form("-e --environment --manifest-path")},
    "conda": {"run": _form("-n --name -p --prefix --cwd")},
    "mamba": {"run": _form("-n --name -p --prefix --cwd")},
    "micromamba": {"run": _form("-n --name -p --prefix --cwd")},
    "bundle": {"exec": _form("--gemfile")},
    "npm": {
        "exec": _form("-p --package -w --workspace", 0, "-c --call"),
        "x": _form("-p --package -w --workspace", 0, "-c --call"),
    },
    "pnpm": {"exec": _form(), "dlx": _form("--package"), "x": _form()},
    "yarn": {"exec": _form(), "dlx": _form("-p --package")},
    "bun": {"x": _form("-p --package")},
    "mise": {"exec": _form("-C --cd", dashes=True), "x": _form("-C --cd", dashes=True)},
    "asdf": {"exec": _form()},
    "rbenv": {"exec": _form()},
    "pyenv": {"exec": _form()},
    "direnv": {"exec": _form("", 1)},
    "aws-vault": {"exec": _form("-d --duration -t --mfa-token -r --region", 1)},
    "op": {"run": _form("--env-file", dashes=True)},
    "nix": {"develop": _form("", 0, "-c --command"), "shell": _form("", 0, "-c --command")},
    "devbox": {"run": _form()},
    "docker": {
        "exec": _form(_DOCKER_EXEC, 1),
        "run": _form(_DOCKER_RUN_VALUES, 1),
        "create": _form(_DOCKER_RUN_VALUES, 1),
    },
    "kubectl": {
        "exec": _form(_KUBECTL_VALUES, 1),
        "run": _form(
            _KUBECTL_VALUES + " --image --env --port --overrides --restart", 1, dashes=True
        ),
        "debug": _form(_KUBECTL_VALUES + " --image --target --profile", 1, dashes=True),
    },
    "tmux": {
        name: _form("-s -n -c -t -x -y -e -F -l -p", joined=True)
        for name in word_set(
            "new new-session new-window neww split-window splitw respawn-pane respawnp "
            "respawn-window respawnw run-shell run"
        )
    },
}
for _twin in ("podman", "nerdctl", "finch"):
    _SUB[_twin], _GLOBAL[_twin] = _SUB["docker"], _GLOBAL["docker"]
_SUB["oc"], _GLOBAL["oc"] = _SUB["kubectl"], _GLOBAL["kubectl"]
_COMPOSE = {
    "exec": _form(_DOCKER_EXEC, 1),
    "run": _form(_DOCKER_RUN_VALUES, 1),
}
_COMPOSE_GLOBAL = word_set(
    "-f --file -p --project-name --project-directory --env-file --profile --ansi --parallel "
    "--progress"
)
RUNNERS = frozenset(
    {
        *_PLAIN,
        *_SUB,
        "docker-compose",
        "screen",
        "gcloud",
        "vagrant",
        "parallel",
        *EDITORS,
        "gdb",
        "git",
        "awk",
        "gawk",
        "mawk",
        "nawk",
    }
)


def commands_run(program: str, values: list[str], stdin: str | None = None) -> Runs | None:
    """What ``program values...`` runs besides itself, or None."""
    if program in _SUB:
        return _subcommand(program, values)
    if program == "docker-compose":
        return _compose(values, 0)
    if program in EDITORS:
        return editor(values)
    reader = SPECIAL.get(program)
    if reader is not None:
        return reader(values)
    form = _PLAIN.get(program)
    if form is None:
        return None
    if program in ("at", "batch"):
        return Runs(code=(stdin,)) if stdin else None
    return _plain(form, values, 0)


def _plain(form: _Form, values: list[str], index: int) -> Runs | None:
    count = len(values)
    operands = form.operands
    code: list[str] = []
    while index < count:
        word = values[index]
        if word == "--":
            index += 1
            if operands and index < count:
                operands -= 1
                index += 1
                continue
            break
        if form.after_dashes:
            index += 1
            continue
        if len(word) > 1 and word[0] == "-":
            name, eq, attached = word.partition("=")
            letter = _code_letter(word, form)
            if letter:
                name, attached = letter, word[word.index(letter[1], 1) + 1 :]
                eq = "=" if attached else ""
            if name in form.code:
                value = attached if eq else (values[index + 1] if index + 1 < count else "")
                code.append(value)
                index += 1 if eq else 2
                continue
            index += 2 if name in form.values and not eq else 1
            continue
        if operands:
            operands -= 1
            index += 1
            continue
        break
    if form.after_dashes and (index >= count or values[index - 1] != "--"):
        return Runs(code=tuple(code)) if code else None
    if index >= count:
        return Runs(code=tuple(code)) if code else None
    if form.joined:
        # ssh, sg and tmux hand the rest to a shell as one string.
        return Runs(code=(*code, " ".join(values[index:])))
    return Runs(start=index, code=tuple(code))


def _code_letter(word: str, form: _Form) -> str:
    """In a cluster of short options (``script -qc CMD``), the one that takes code."""
    if word.startswith("--") or len(word) < 3:
        return ""
    for letter in word[1:]:
        if "-" + letter in form.code:
            return "-" + letter
        if "-" + letter in form.values:
            return ""
    return ""


def _skip_global(values: list[str], takes_value: frozenset[str]) -> int:
    index = 0
    while index < len(values) and values[index].startswith("-") and values[index] != "--":
        name, eq, _ = values[index].partition("=")
        index += 2 if name in takes_value and not eq else 1
    return index


def _subcommand(program: str, values: list[str]) -> Runs | None:
    index = _skip_global(values, _GLOBAL.get(program, frozenset()))
    if index >= len(values):
        return None
    sub = values[index]
    if program in ("docker", "podman", "nerdctl", "finch") and sub in ("container", "compose"):
        if sub == "compose":
            return _compose(values, index + 1)
        index += 1
        sub = values[index] if index < len(values) else ""
    if program == "tmux" and sub in ("send-keys", "send"):
        return tmux_keys(values[index + 1 :])
    form = _SUB[program].get(sub)
    if form is None:
        return None
    if program in ("kubectl", "oc") and sub == "exec" and "--" in values[index:]:
        # ``kubectl exec pod -c box -- cmd``: everything after ``--`` is the command.
        return Runs(start=values.index("--", index) + 1)
    return _plain(form, values, index + 1)


def _compose(values: list[str], index: int) -> Runs | None:
    index += _skip_global(values[index:], _COMPOSE_GLOBAL)
    if index >= len(values):
        return None
    form = _COMPOSE.get(values[index])
    return _plain(form, values, index + 1) if form is not None else None
