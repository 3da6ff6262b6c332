"""The shell of the commands that compute with JAX: `parity train`, `parity distill`, `parity probe`.

cli.py imports this module only once a command's options are checked, so `parity --help` and the
read-only commands never load JAX.
"""

from __future__ import annotations

import sys
from pathlib import Path

from parity.config import TrainConfig
from parity.engine import machine
from parity.errors import Interrupted
from parity.runs import auto_notes, files, outdir, parquet, probe
from parity.runs.runner import run_train
from parity.runs.saved import SavedRun
from parity.runs.student import from_teacher
from parity.runs.teacher import prepare
from parity.shell import options, render, signals, tables


def train(cfg: TrainConfig, out: Path, overwrite: bool, json: bool, teacher=None) -> None:
    """Train into `out` (locked against a second process); SIGTERM or Ctrl-C stop at a segment boundary, resumable."""

    def resuming(step: int) -> None:
        print(signals.resuming_line(step, cfg.steps), file=sys.stderr)

    machine.enable_compilation_cache()
    with signals.stop_on_signals() as stop, outdir.exclusive(out):
        if outdir.check_run_dir(out, overwrite, cfg.run_hash):  # again, now that no other process can change it
            return render.already_finished(out, as_json=json)  # the same command on a finished run: done, its summary again
        try:
            with render.TrainProgress(cfg, quiet=json) as progress:
                summary = run_train(cfg, out, on_segment=progress.on_segment, fresh=overwrite, teacher=teacher, should_stop=stop, on_resume=resuming)
        except Interrupted as err:
            print(signals.interrupted_line(err.step), file=sys.stderr)
            raise SystemExit(stop.exit_code) from None
    render.finish(summary, out, as_json=json)


def distill(values: dict, out: Path | None, overwrite: bool, json: bool) -> None:
    """The student's config from the teacher's run, the teacher's checkpoints loaded and checked, then `train`."""
    cfg, record = from_teacher(values)
    teacher = prepare(cfg, record)
    for line in auto_notes.lines(cfg, teacher.auto):  # which checkpoint `auto` chose and why (config.json keeps the whole record)
        print(line, file=sys.stderr)
    options.check_memory(cfg, teacher)
    out = options.resolve_out(cfg, out, overwrite, reads=(teacher.saved.run, "teacher run"))
    if not teacher.finished:
        print(
            f"warning: --teacher {cfg.teacher}: unfinished (no summary.json); if it is still training, a resume of this run will refuse it",
            file=sys.stderr,
        )
    render.warn_untrained_teacher(teacher, cfg.target_acc)
    train(cfg, out, overwrite, json, teacher)


def probe_checkpoints(run: Path, samples: int) -> None:
    """`parity probe`: every checkpoint's correlations by degree, written to the run's probe.parquet, then the table."""
    import pandas as pd  # deferred: pandas (0.2 s), which train and distill do not need

    saved = SavedRun(run)
    for step in saved.steps:  # a damaged checkpoint is bad input: named before anything (the lock file) is written
        saved.verify(step)
    files.check_out_file(saved.run / files.PROBE, f"{run}:")  # e.g. "runs/t: runs/t/probe.parquet: is a directory"
    machine.enable_compilation_cache()
    with outdir.exclusive(saved.run, flag=""):  # the run is not being trained (or probed) by another process meanwhile
        with render.CountBar(f"probe {run}", len(saved.steps), "checkpoints") as bar:
            columns = probe.probe_run(saved, samples, on_progress=bar.update)
        table, notes = tables.probe_table(pd.DataFrame(columns), f"probe of {run} ({samples:,} samples)")
        parquet.write_table(saved.run / files.PROBE, columns)
    render.show(table, [*notes, f"table in [bold]{saved.run / files.PROBE}[/bold]"])
