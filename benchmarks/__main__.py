"""Runs every benchmark and prints its results: `python -m benchmarks [--rows N] [--backend sqlite|postgres|all]`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from benchmarks import csv_import, pages

BENCHMARKS = [csv_import, pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--rows", type=int, default=csv_import.DEFAULT_ROWS,
                        help="lignes du fichier CSV importé (défaut : %(default)s)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all",
                        help="base(s) mesurée(s) ; PostgreSQL seulement s'il répond (défaut : %(default)s)")
    parser.add_argument("--only", choices=[b.__name__.rsplit(".", 1)[1] for b in BENCHMARKS],
                        help="une seule mesure (défaut : toutes)")
    args = parser.parse_args(argv)
    for bench in BENCHMARKS:
        if args.only and bench.__name__.rsplit(".", 1)[1] != args.only:
            continue
        print(f"== {bench.TITLE}")
        asyncio.run(bench.main(rows=args.rows, backend=args.backend))
    return 0


if __name__ == "__main__":
    sys.exit(main())
