"""Chaos runs of whole migrations, as figures: ``harness.chaos.chaos_run`` for several seeds.

``python bench/chaos.py [--seeds 10] [--first-seed 1] [--fault-rate 0.05] [--kills 3] [--profile realistic]``
prints, per seed, faults injected, kills, messages checked, lost and duplicated. Figures only; the asserting
version is ``tests/chaos/``, and what one run does is in ``harness/chaos/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from harness.chaos import chaos_run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    import tempfile

    from emulators.azurite import running_azurite

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--profile", default="realistic")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    reports = []
    with running_azurite() as azurite, tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            workdir = Path(tmp) / str(seed)
            workdir.mkdir()
            report = chaos_run(azurite.connection_string, seed=seed, workdir=workdir, fault_rate=args.fault_rate,
                               kills=args.kills, profile=args.profile,
                               log=(lambda text: print(text, flush=True)) if args.verbose else (lambda _: None))
            reports.append(report)
            print(report.line(), flush=True)
            for problem in report.problems[:40]:
                print(f"    {problem}", flush=True)
    print(f"\n{len(reports)} runs, profile {args.profile}, fault rate {args.fault_rate:.0%} per request: "
          f"faults injected {sum(r.faults for r in reports)}, kills {sum(r.kills for r in reports)}, "
          f"messages checked {sum(r.messages_checked for r in reports)}, lost {sum(r.lost for r in reports)}, "
          f"duplicated {sum(r.duplicated for r in reports)}, runs with problems "
          f"{sum(1 for r in reports if r.problems)}")
    return 0 if all(not r.problems for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
