"""`parity train` as a library call: run directory in, files out."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from parity.config import TrainConfig
from parity.data_plan import describe
from parity.engine.loop import Checkpoint, SegmentReport, run_is_over, train
from parity.engine.task import draw_support
from parity.errors import Interrupted
from parity.runs import allocation, files, outdir, parquet, provenance, resume
from parity.runs.hooks import run_hooks
from parity.runs.summary import metrics_columns, summarize
from parity.runs.teacher import prepare
from parity.teacher_spec import recorded

FLUSH_SECONDS = 10.0  # how often partial metrics reach disk during a long run


def config_record(cfg: TrainConfig) -> dict:
    """config.json of a run (a distillation run's hooks add their own entries)."""
    return {
        "command": "train",
        "run_id": cfg.run_hash,
        "config": recorded(cfg.to_dict()),  # a plain run records no teacher step
        "resolved": {"support": draw_support(cfg).tolist(), "warmup_steps": cfg.resolved_warmup_steps, "n_out": cfg.n_out, "data": describe(cfg)},
        "versions": provenance.versions(),
        "git_commit": provenance.git_commit(),
        "machine": provenance.machine(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def run_train(
    cfg: TrainConfig,
    out: Path,
    on_segment: Callable[[SegmentReport], None] | None = None,
    fresh: bool = False,
    teacher=None,
    should_stop: Callable[[], bool] | None = None,
    on_resume: Callable[[int], None] | None = None,
) -> dict:
    """Train, writing config.json first, metrics as they come, summary.json last.

    An unfinished run of the same config in `out` resumes from its last resume point (unless
    `fresh`); the result equals an uninterrupted run. The resume point is saved every
    FLUSH_SECONDS and right after every checkpoint, so a resumed run keeps every checkpoint
    saved up to it and redoes none.
    teacher: a `teacher.Teacher` already prepared (else prepared here when cfg.teacher is set).
    should_stop: asked after every segment (e.g. a signal arrived); when True the run saves its
    metrics and a resume point there and raises Interrupted(step, steps): the same call resumes.
    on_resume(step): called before a resumed run's first segment.
    """
    out = Path(out)
    if cfg.teacher is not None and teacher is None:
        teacher = prepare(cfg)  # every teacher problem is found before a file is written
    hooks = run_hooks(cfg, out, teacher)
    same_run = not fresh and out.is_dir() and files.run_id(out) == cfg.run_hash
    start = resume.load(out, hooks.engine.init(cfg.seed_values), cfg.steps) if same_run else None
    if start is not None:
        hooks.check_resume(files.read_json(out / files.CONFIG))  # e.g. a teacher changed since: refused before anything changes
    out.mkdir(parents=True, exist_ok=True)
    (out / files.SUMMARY).unlink(missing_ok=True)  # an overwritten run is unfinished until it ends
    files.remove_stale_temps(out)  # left by a write that a kill cut short
    if start is None:
        outdir.clear_run(out)  # only parity's own files
        files.write_json(out / files.CONFIG, {**config_record(cfg), **hooks.record})
        hooks.start()
    else:
        hooks.resume(start.step)
        if on_resume is not None:
            on_resume(start.step)
    last_flush = time.perf_counter()

    def after_segment(report: SegmentReport) -> None:
        nonlocal last_flush
        saved = hooks.on_segment(report)  # a checkpoint: the resume point goes right after it
        stop = should_stop is not None and should_stop() and not run_is_over(cfg, report.step, report.reached, report.diverged)
        if saved or stop or time.perf_counter() - last_flush >= FLUSH_SECONDS:
            parquet.write_table(out / files.METRICS, metrics_columns(cfg, report.history))
            resume.save(out, Checkpoint(report.state, report.step, report.history, report.train_seconds))
            last_flush = time.perf_counter()
        if on_segment is not None:
            on_segment(report)
        if stop:
            raise Interrupted(report.step, cfg.steps)

    try:
        result = train(
            cfg,
            on_segment=after_segment,
            engine=hooks.engine,
            extra_ends=hooks.extra_ends,
            problem_for=hooks.problem_for,
            resume=start,
            columns=hooks.columns,
        )
    except Exception as err:
        if allocation.is_allocation_failure(err):  # one line naming what did not fit, not XLA's traceback
            raise allocation.explain(err, cfg, out) from None
        raise
    finally:
        hooks.close()  # orbax's checkpoint manager, also when the run stops early (a signal, a full disk)
    summary = summarize(result)
    parquet.write_table(out / files.METRICS, metrics_columns(cfg, result.history))
    files.write_json(out / files.SUMMARY, summary)
    resume.discard(out)
    return summary
