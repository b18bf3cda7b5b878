"""The results: a table, the ratios we track, each server's memory, and the JSON file of the run."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.load import LoadResult

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Row:
    operation: str
    target: str
    result: LoadResult | None = None
    skipped: str | None = None
    # The server's CPU time (all its processes, user + system) per answered request: unlike req/s,
    # it barely moves when other work shares the machine.
    cpu_us: float | None = None

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"operation": self.operation, "target": self.target}
        if self.result is not None:
            row.update(asdict(self.result), req_s=round(self.result.req_s, 1))
        if self.cpu_us is not None:
            row["cpu_us_per_request"] = round(self.cpu_us, 1)
        if self.skipped is not None:
            row["skipped"] = self.skipped
        return row


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
        # Other work on the machine during the run is the usual reason two runs disagree.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def table(headers: list[str], lines: list[list[str]], left: int = 2) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        # Names left-aligned, numbers right-aligned.
        padded = (c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(headers), rule, *(fmt(line) for line in lines)])


def results_table(rows: list[Row]) -> str:
    lines = []
    for row in rows:
        if row.result is None:
            lines.append([row.operation, row.target, "-", "-", "-", "-", f"skipped: {row.skipped}"])
            continue
        r = row.result
        cpu = "-" if row.cpu_us is None else f"{row.cpu_us:,.0f}"
        lines.append([row.operation, row.target, f"{r.req_s:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}", cpu,
                      f"{r.errors}"])
    return table(["operation", "target", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "errors"], lines)


def ratios(rows: list[Row], subjects: tuple[str, ...], peers: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """req/s of each subject over each peer, per operation, where both were measured without errors."""
    rate = {(r.operation, r.target): r.result.req_s for r in rows if r.result is not None and r.result.errors == 0}
    found: dict[str, dict[str, float]] = {}
    for operation in dict.fromkeys(r.operation for r in rows):
        for subject in subjects:
            for peer in peers:
                if subject == peer:
                    continue
                top, bottom = rate.get((operation, subject)), rate.get((operation, peer))
                if top and bottom:
                    found.setdefault(operation, {})[f"{subject}/{peer}"] = round(top / bottom, 3)
    return found


def ratios_table(found: dict[str, dict[str, float]]) -> str:
    columns = list(dict.fromkeys(name for values in found.values() for name in values))
    lines = [[operation, *(f"{values[c]:.2f}" if c in values else "-" for c in columns)]
             for operation, values in found.items()]
    return table(["operation", *columns], lines, left=1)


def memory_table(rss: dict[str, int]) -> str:
    return table(["target", "RSS MiB"], [[name, f"{size / 2**20:.0f}"] for name, size in rss.items()], left=1)


def write_json(kind: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().astimezone()
    name = stamp.strftime("%Y-%m-%d") + ("" if kind == "standard" else f"-{kind}") + ".json"
    path = RESULTS_DIR / name
    if path.exists():  # several runs a day: keep the earlier ones
        path = path.with_name(path.stem + stamp.strftime("-%H%M%S") + path.suffix)
    document = {"kind": kind, "date": stamp.isoformat(timespec="seconds"), "machine": machine(), **payload}
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
