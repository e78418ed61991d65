"""CPU time and resident memory of a process, read from /proc (no psutil on these machines).

Pure parsers of the ``/proc/<pid>/stat`` and ``/proc/<pid>/status`` texts, and two thin
readers that return None for a process that has gone.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    """One process at one moment: CPU seconds used so far (user + system), RSS in bytes."""

    cpu_s: float
    rss_bytes: int


def cpu_seconds_of(stat_text: str) -> float:
    """utime + stime of a ``/proc/<pid>/stat`` line (the name may hold spaces and parens)."""
    fields = stat_text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_bytes_of(status_text: str) -> int:
    """``VmRSS`` of a ``/proc/<pid>/status`` text, in bytes (0 when absent: a zombie)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def sample(pid: int) -> Sample | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return Sample(cpu_seconds_of(stat), rss_bytes_of(status))


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (granian's worker processes under its main process)."""
    with suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []
