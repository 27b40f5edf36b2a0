"""`make faults`: the fault suite at full size, its table printed (`python -m tests.faults --writes 2000`)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from tests.faults.harness import run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults")
    parser.add_argument("--writes", type=int, default=2000, help="writes in the burst (default 2000)")
    parser.add_argument("--pause", type=float, default=8.0, help="seconds between two faults (default 8)")
    args = parser.parse_args()
    report = asyncio.run(run(args.writes, pause=args.pause))
    print(report.table())
    return 0 if report.lost == report.applied_twice == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
