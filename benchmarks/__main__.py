"""Runs the benchmarks and prints their results.

    python -m benchmarks [--quick] [--variant sqlite|production|all] [--only csv_import|pages|system]
                         [--rows N] [--backend sqlite|postgres|all]

`system` starts the whole platform as real processes and drives it from a separate load process (about ten
minutes per variant; `--quick`: SQLite only, short phases, about a minute, and only this benchmark).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys

from benchmarks import csv_import, pages, system

BENCHMARKS = [csv_import, pages, system]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=csv_import.DEFAULT_ROWS,
                        help="lignes du fichier CSV importé (défaut : %(default)s)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all",
                        help="base(s) mesurée(s) par csv_import ; PostgreSQL seulement s'il répond "
                             "(défaut : %(default)s)")
    parser.add_argument("--variant", choices=("sqlite", "production", "all"), default="all",
                        help="variante(s) du système complet (défaut : %(default)s ; --quick : sqlite)")
    parser.add_argument("--quick", action="store_true",
                        help="le système complet seul, phases courtes, SQLite seulement (environ une minute)")
    parser.add_argument("--only", choices=[b.__name__.rsplit(".", 1)[1] for b in BENCHMARKS],
                        help="une seule mesure (défaut : toutes)")
    args = parser.parse_args(argv)
    only = args.only or ("system" if args.quick else None)
    for bench in BENCHMARKS:
        if only and bench.__name__.rsplit(".", 1)[1] != only:
            continue
        print(f"== {bench.TITLE}", flush=True)
        outcome = bench.main(rows=args.rows, backend=args.backend, quick=args.quick, variant=args.variant)
        if inspect.isawaitable(outcome):
            asyncio.run(outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
