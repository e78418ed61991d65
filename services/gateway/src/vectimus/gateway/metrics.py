"""Prometheus text exposition, hand-written: counters, one histogram, gauges read at scrape.

Each granian worker keeps its own counters (a scrape reaches one worker); the stream gauges
come from the bus and are the same whichever worker answers.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Iterable

LATENCY_BUCKETS_S = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class Histogram:
    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS_S) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str, labels: Labels) -> Iterable[str]:
        running = 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            running += count
            yield f"{name}_bucket{_labels((*labels, ('le', repr(bound))))} {running}"
        yield f"{name}_bucket{_labels((*labels, ('le', '+Inf')))} {self.count}"
        yield f"{name}_sum{_labels(labels)} {self.total!r}"
        yield f"{name}_count{_labels(labels)} {self.count}"


class Metrics:
    """The gateway's own counters. Cheap to update: dict increments on the request path."""

    def __init__(self) -> None:
        self.started = time.time()
        self.decisions: defaultdict[Labels, int] = defaultdict(int)
        self.rule_matches: defaultdict[Labels, int] = defaultdict(int)
        self.rejected: defaultdict[Labels, int] = defaultdict(int)
        self.failures: defaultdict[Labels, int] = defaultdict(int)
        self.latency: dict[Labels, Histogram] = {}
        self.degraded_total = 0
        self.last_degraded_at = 0.0

    def decision(
        self,
        *,
        decision: str,
        source: str,
        matched: tuple[str, ...],
        seconds: float,
        path: str,
    ) -> None:
        rule = matched[0] if matched else ""
        self.decisions[(("decision", decision), ("source", source), ("rule", rule))] += 1
        for rule_id in matched:
            self.rule_matches[(("rule", rule_id),)] += 1
        key = (("path", path),)
        histogram = self.latency.get(key)
        if histogram is None:
            histogram = self.latency[key] = Histogram()
        histogram.observe(seconds)
        if path == "degraded":
            self.degraded_total += 1
            self.last_degraded_at = time.monotonic()

    def reject(self, reason: str) -> None:
        self.rejected[(("reason", reason),)] += 1

    def failure(self, reason: str) -> None:
        self.failures[(("reason", reason),)] += 1

    def render(self, gauges: Iterable[tuple[str, str, Labels, float]] = ()) -> str:
        """The exposition text; ``gauges`` are (name, help, labels, value) read at scrape."""
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        family(
            "vectimus_decisions_total", "counter", "Decisions answered, by outcome, source and rule"
        )
        out.extend(f"vectimus_decisions_total{_labels(k)} {v}" for k, v in self.decisions.items())
        family("vectimus_rule_matches_total", "counter", "Matches of each rule (observe-only too)")
        out.extend(
            f"vectimus_rule_matches_total{_labels(k)} {v}" for k, v in self.rule_matches.items()
        )
        family(
            "vectimus_degraded_total", "counter", "Decisions evaluated in the gateway (degraded)"
        )
        out.append(f"vectimus_degraded_total {self.degraded_total}")
        family("vectimus_rejected_requests_total", "counter", "Requests refused before evaluation")
        out.extend(
            f"vectimus_rejected_requests_total{_labels(k)} {v}" for k, v in self.rejected.items()
        )
        family(
            "vectimus_evaluation_failures_total", "counter", "Requests that could not be evaluated"
        )
        out.extend(
            f"vectimus_evaluation_failures_total{_labels(k)} {v}" for k, v in self.failures.items()
        )
        family("vectimus_evaluate_seconds", "histogram", "POST /evaluate latency, by path")
        for labels, histogram in self.latency.items():
            out.extend(histogram.lines("vectimus_evaluate_seconds", labels))
        family("vectimus_uptime_seconds", "gauge", "Seconds since this worker started")
        out.append(f"vectimus_uptime_seconds {time.time() - self.started:.3f}")
        seen: set[str] = set()
        for name, help_text, labels, value in gauges:
            if name not in seen:
                family(name, "gauge", help_text)
                seen.add(name)
            out.append(f"{name}{_labels(labels)} {_number(value)}")
        return "\n".join(out) + "\n"
