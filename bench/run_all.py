"""Run every benchmark and print each one's figures as JSON (one document per benchmark).

python -m bench.run_all [--fresh]      (or: make bench)
"""

from __future__ import annotations

import argparse
import json

from bench import enterprise_import, enterprise_list, league_table, name_search_plans

BENCHMARKS = (name_search_plans, enterprise_list, enterprise_import, league_table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the benchmark database first")
    args = parser.parse_args()
    for index, benchmark in enumerate(BENCHMARKS):
        figures = benchmark.run(fresh=args.fresh and index == 0)
        print(json.dumps(figures, ensure_ascii=False, indent=2), flush=True)


if __name__ == "__main__":
    main()
