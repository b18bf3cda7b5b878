"""`make bench`: every operation against every target, one target after the other, then the table,
the ratios and the JSON file. `--scale` grows the stored work instead; `--profile` samples Strongroom
under Encrypt load with py-spy; `--cpu` measures CPU per request in-process.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from bench import cpu, profile, scale
from bench.load import LoadSettings, wrk_path
from bench.measure import measure
from bench.operations import OPERATIONS, Operation
from bench.report import Row, memory_table, ratios, ratios_table, results_table, write_json
from bench.targets import ALL_TARGETS, CEILING, CEILING_DIRECT, MOTO, STRONGROOM_1, STRONGROOM_2, discard, start


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per operation and target")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (each takes a core from the server)")
    parser.add_argument("--requests", type=int, default=500, help="distinct signed requests per operation")
    parser.add_argument("--targets", default=",".join(t.name for t in ALL_TARGETS),
                        help="comma-separated subset of " + ", ".join(t.name for t in ALL_TARGETS))
    parser.add_argument("--operations", default=None,
                        help="comma-separated subset of operation names, e.g. 'KMS Encrypt,KMS Sign'")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--scale", action="store_true", help="grow stored keys and audit events (Strongroom only)")
    mode.add_argument("--profile", action="store_true", help="py-spy profile of Strongroom under Encrypt load")
    mode.add_argument("--cpu", action="store_true",
                      help="CPU per request in-process, without the HTTP server (see bench/cpu.py)")
    return parser.parse_args(argv)


def _slug(name: str) -> str:
    """'KMS GenerateDataKey' -> 'kms-generatedatakey'; also accepted: 'kms-generate-data-key'."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def select_operations(wanted: str) -> tuple[Operation, ...]:
    """The operations named in `wanted` (comma-separated, by name or slug); unknown names are an error."""
    by_slug = {_slug(op.name): op for op in OPERATIONS}
    names = [name.strip() for name in wanted.split(",") if name.strip()]
    unknown = [name for name in names if _slug(name) not in by_slug]
    if unknown:
        known = ", ".join(op.name for op in OPERATIONS)
        raise SystemExit(f"bench: unknown operation(s) {', '.join(unknown)}; known: {known}")
    chosen = {_slug(name) for name in names}
    return tuple(op for op in OPERATIONS if _slug(op.name) in chosen)


def standard(args: argparse.Namespace, settings: LoadSettings) -> int:
    wanted = set(args.targets.split(","))
    specs = [t for t in ALL_TARGETS if t.name in wanted]
    operations: tuple[Operation, ...] = OPERATIONS
    if args.operations:
        operations = select_operations(args.operations)
    rows: list[Row] = []
    memory: dict[str, int] = {}
    for spec in specs:
        print(f"== {spec.name}", flush=True)
        target = start(spec)
        try:
            for operation in operations:
                row = measure(target, operation, args.requests, settings)
                rows.append(row)
                done = f"{row.result.req_s:,.0f} req/s" if row.result else f"skipped: {row.skipped}"
                print(f"   {operation.name}: {done}", flush=True)
            memory[spec.name] = target.rss_bytes()
        finally:
            discard(target)
    subjects = (STRONGROOM_1.name, STRONGROOM_2.name)
    found = ratios(rows, subjects, (MOTO.name, CEILING.name, CEILING_DIRECT.name, STRONGROOM_1.name))
    print()
    print(results_table(rows))
    print()
    print(ratios_table(found))
    print()
    print(memory_table(memory))
    path = write_json("standard", {
        "settings": vars(args),
        "rows": [row.as_dict() for row in rows],
        "ratios": found,
        "rss_bytes": memory,
    })
    print(f"\nwritten to {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cpu:
        cpu_args = ["--requests", str(args.requests * 4)]
        if args.operations:
            cpu_args += ["--operations", args.operations]
        return cpu.main(cpu_args)
    wrk_path()
    settings = LoadSettings(duration=args.duration, connections=args.connections, threads=args.threads)
    if args.scale:
        return scale.run(args, settings)
    if args.profile:
        return profile.run(args, settings)
    return standard(args, settings)


if __name__ == "__main__":
    sys.exit(main())
