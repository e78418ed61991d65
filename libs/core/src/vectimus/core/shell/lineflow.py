"""Files written and then run on the same line: ``echo 'rm -rf /' > x.sh && sh x.sh``.

A command that writes a file records what it wrote: the text, when ``echo``, ``printf``,
``cat <<EOF`` or ``tee`` after them make it known, or else which programs produced it
(``curl -o x``, ``base64 -d > x``). A later command on the line that runs that file
(``sh x``, ``source x``, ``./x``, ``python3 x``) is judged by the text, analysed as the
commands it is; when the text is not known, the command is marked dynamic and the writers
join its ``pipe_from``, so ``curl -o i.sh URL && sh i.sh`` reads as ``curl URL | sh``.
"""

from __future__ import annotations

import posixpath

from vectimus.core.shell.call import Call
from vectimus.core.shell.model import Invocation, Record, Shared, Sink, Written
from vectimus.core.shell.pathnorm import canonical_path

# Programs whose output file is a copy of their input file.
_COPIERS = frozenset({"cp", "mv", "install", "ln", "rsync"})
_MAX_UPSTREAM = 8
_MAX_TEXT = 256 * 1024
# Beyond this many files written on one line, later ones are not followed.
_MAX_FILES = 1024
_MAX_DEPTH = 64


def upstream(record: Record, sink: Sink) -> tuple[str, ...]:
    """The programs of the earlier stages of the pipeline ``record`` ends, nearest first."""
    found: list[str] = []
    scope = record.scope
    current = sink.previous_stage(scope)
    while current is not None and len(found) < _MAX_UPSTREAM:
        if current.program:
            found.append(current.program)
        current = sink.previous_stage(current.scope)
    return tuple(found)


def remember_writes(record: Record, inv: Invocation, redirected: list[str], sink: Sink) -> None:
    """Record the files ``record`` writes, by redirection and by its own arguments."""
    if not record.writes:
        return
    written = record.scope.shared.written
    home = record.scope.home
    appends = {
        canonical_path(r.target.value, home)
        for r in inv.redirects
        if r.op == ">>" and r.target is not None
    }
    text = record.stdout_literal
    writers = (record.program, *upstream(record, sink)) if record.program else ()
    own = [path for path in record.writes if path not in redirected]
    if record.program == "tee":
        previous = sink.previous_stage(record.scope)
        text = previous.stdout_literal if previous is not None else None
        redirected, own = [*redirected, *own], []
    for path in redirected:
        before = written.get(path)
        content = text
        if path in appends and before is not None:
            content = None if before.content is None or text is None else before.content + text
        _store(written, path, Written(content, writers if content is None else ()))
    source = record.reads[0] if record.program in _COPIERS and len(record.reads) == 1 else None
    for path in own:
        copied = written.get(source) if source is not None else None
        _store(written, path, copied if copied is not None else Written(None, writers))


def _store(written: dict[str, Written], path: str, entry: Written) -> None:
    if entry.content is not None and len(entry.content) > _MAX_TEXT:
        entry = Written(None, entry.writers)
    if path in written or len(written) < _MAX_FILES:
        written[path] = entry


def remember_clone(record: Record, positionals: list[str]) -> None:
    """``git clone URL [dir]`` fills a directory with files nobody has read."""
    if not positionals:
        return
    url = positionals[0].rstrip("/")
    target = positionals[1] if len(positionals) > 1 else posixpath.basename(url)
    target = canonical_path(target.removesuffix(".git"), record.scope.home)
    dirs = record.scope.shared.written_dirs
    if target and len(dirs) < _MAX_FILES:
        dirs[target.rstrip("/")] = Written(None, (record.program,))


def _lookup(shared: Shared, path: str) -> Written | None:
    """What was written at ``path``, or into a directory above it (by its parents, not by
    a scan of every entry, so many files cost no more than a few)."""
    found = shared.written.get(path)
    if found is not None or not shared.written_dirs:
        return found
    parent = posixpath.dirname(path)
    for _ in range(_MAX_DEPTH):
        entry = shared.written_dirs.get(parent)
        if entry is not None:
            return entry
        if parent in ("", "/", ".", "~"):
            break
        parent = posixpath.dirname(parent)
    return None


def run_written(record: Record, call: Call) -> None:
    """If ``record`` runs a file written earlier on the line, judge it by what was written."""
    found = _lookup(record.scope.shared, record.script_path)
    if found is None:
        return
    record.script_path = ""
    if found.content is not None:
        call.nest(found.content)
        return
    record.dynamic = True
    record.fed_through_files.extend(found.writers)
