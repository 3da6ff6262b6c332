"""The grid issue's sweep as whole processes with cold caches: 8 points (two learning rates) against the same 4 at one.

    python benchmarks/grid_sweep.py [--repeats 2]

The second learning rate changes no array's shape: when values are inputs of the compiled programs and the
points that share a shape run as one program, the 8-point sweep costs little more than the 4-point one
(target: at most 1.25x). Also reported: compile seconds per distinct shape (d, width), summed over the
points' summary.json files, and how many programs each shape compiled.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SWEEP = ["--d", "20,30", "--k", "3", "--width", "100,1000", "--seeds", "4", "--steps", "3000", "--early-stop", "false"]
LRS = {"eight": "0.05,0.1", "four": "0.1"}
RATIO = 1.25


def sweep(lrs: str, out: Path, cache: Path) -> float:
    """Wall seconds of one `parity sweep train` process into `out`, its compilation caches empty."""
    env = {**os.environ, "PARITY_CACHE_DIR": str(cache)}
    tic = time.perf_counter()
    subprocess.run([str(BIN / "parity"), "sweep", "train", *SWEEP, "--lr", lrs, "--out", str(out)], env=env, check=True, capture_output=True)
    return time.perf_counter() - tic


def compile_by_shape(out: Path) -> dict[str, dict]:
    """Per (d, width): the points, the compile seconds their summaries report, and the distinct programs among them."""
    shapes: dict[str, dict] = {}
    for summary_path in sorted((out / "runs").glob("*/summary.json")):
        record = json.loads((summary_path.parent / "config.json").read_text())
        config = record["config"]
        summary = json.loads(summary_path.read_text())
        shape = shapes.setdefault(f"d{config['d']} w{config['width']}", {"points": 0, "compile_seconds": 0.0, "programs": set()})
        shape["points"] += 1
        group = record.get("group") or {}
        program = group.get("program") or summary_path.parent.name  # a grouped point shares its group's program
        if program not in shape["programs"]:  # a group's compile is counted once, not once per point
            shape["compile_seconds"] += summary.get("compile_seconds", 0.0)
        shape["programs"].add(program)
    return {k: {"points": v["points"], "compile_seconds": round(v["compile_seconds"], 2), "programs": len(v["programs"])} for k, v in shapes.items()}


def measure(repeats: int = 2) -> dict:
    """The two sweeps interleaved, each with its own empty caches, medians of `repeats`."""
    times: dict[str, list[float]] = {name: [] for name in LRS}
    shapes = {}
    with tempfile.TemporaryDirectory(prefix="parity-grid-") as tmp:
        for i in range(repeats):
            for name, lrs in LRS.items():
                out = Path(tmp) / f"{name}-{i}"
                times[name].append(sweep(lrs, out, Path(tmp) / f"cache-{name}-{i}"))
                shapes[name] = compile_by_shape(out)
    eight, four = statistics.median(times["eight"]), statistics.median(times["four"])
    return {
        "command": "parity sweep train " + " ".join(SWEEP) + " --lr 0.05,0.1 (8 points) / --lr 0.1 (4 points)",
        "eight_point_seconds": round(eight, 2),
        "four_point_seconds": round(four, 2),
        "ratio": round(eight / four, 3),
        "goal": RATIO,
        "compile_by_shape": shapes,
        "load_average": list(os.getloadavg()),
    }


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=2)
    print(json.dumps(measure(ap.parse_args().repeats), indent=2))
