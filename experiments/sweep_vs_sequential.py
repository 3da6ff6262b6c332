"""Wall time of a sweep against the same grid points run one `parity train` at a time.

Question: does `parity sweep` (one single-threaded worker per core) beat running each point as
its own `parity train` process (one process, XLA's intra-op threads on every core)?
Command:  python experiments/sweep_vs_sequential.py OUT [sweep options]   e.g.
          python experiments/sweep_vs_sequential.py runs/bench --d 20,30,40,50 --k 3,4 --seeds 8 --steps 100000
Runtime:  about three times the sweep itself (a short warm-up, then three timed passes).
Expected: the sweep with --workers = cores is the fastest; --workers 1 is close to sequential.
"""

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PARITY = str(Path(sys.executable).parent / "parity")


def timed(args: list[str]) -> float:
    tic = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - tic


def main(out: Path, options: list[str]) -> None:
    flags = dict(zip(options[::2], options[1::2]))
    lists = {k: v.split(",") for k, v in flags.items()}
    points = [[x for k, v in zip(lists, values) for x in (k, v)] for values in itertools.product(*lists.values())]
    sweep = [PARITY, "sweep", "train", *options]
    cores = len(os.sched_getaffinity(0))

    def sequential(extra: list[str], name: str) -> float:
        tic = time.perf_counter()
        for i, point in enumerate(points):
            subprocess.run([PARITY, "train", *point, *extra, "--out", str(out / name / str(i)), "--json"], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - tic

    # Warm both compilation caches (sweep workers run with other XLA flags, hence other cache keys):
    # 1000 steps compile the same programs as the full budget (one segment per --eval-every steps).
    report = {"options": options, "cores": cores, "load_before": os.getloadavg()[0]}  # the machine may be shared
    report["warm_up_s"] = timed([*sweep, "--steps", "1000", "--out", str(out / "warm")]) + sequential(["--steps", "1000"], "warm-train")
    report[f"sweep_workers_{cores}_s"] = timed([*sweep, "--workers", str(cores), "--out", str(out / "sweep")])
    report["sequential_train_s"] = sequential([], "sequential")
    report["sweep_workers_1_s"] = timed([*sweep, "--workers", "1", "--out", str(out / "sweep-1")])
    report["load_after"] = os.getloadavg()[0]
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in report.items()}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
