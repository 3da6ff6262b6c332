"""A sweep's progress: runs finished of all, the steps actually run, and an ETA from the runs that finished."""

from types import SimpleNamespace

from parity.shell.sweep_render import RunsEta, SweepProgress


def point(index: int) -> SimpleNamespace:
    return SimpleNamespace(index=index, label=f"train d={10 * (index + 1)} (run{index})", cfg=SimpleNamespace(seeds=2))


def test_the_bar_counts_runs_finished_and_the_steps_run_not_the_budget(monkeypatch, capsys):
    monkeypatch.setenv("PARITY_PROGRESS", "1")
    progress = SweepProgress(todo=2, finished_before=1, total=3)
    grid = progress.bar.tasks[progress.grid]
    assert grid.total == 2 and grid.fields["info"] == "0/2 finished (1 before), 0 steps run"
    with progress:
        progress.segment(point(0), 300, 100_000, 1, 0)
        progress.segment(point(1), 200, 100_000, 0, 0)
        assert grid.fields["info"] == "0/2 finished (1 before), 500 steps run"
        line = progress.bar.tasks[progress.tasks[0]]
        assert line.total is None and line.fields["info"] == "step 300 of at most 100,000, solved 1/2"  # no bar against the budget
        progress.finished(point(0), "ran", {"steps": 400, "solved": 2, "seeds": [0, 1], "median_steps_to_target": 350.0, "wall_seconds": 1.0})
        assert grid.completed == 1 and grid.fields["info"] == "1/2 finished (1 before), 600 steps run"
    assert "train d=10 (run0): solved 2/2, median steps to target 350, 400 steps" in capsys.readouterr().err


def test_the_eta_comes_from_the_runs_finished():
    eta = RunsEta()
    task = SimpleNamespace(fields={"runs": True}, completed=1, total=4, elapsed=30.0)
    assert eta.render(task).plain == "about 1:30 left"
    assert eta.render(SimpleNamespace(fields={"runs": True}, completed=0, total=4, elapsed=30.0)).plain == ""  # none finished yet
    assert eta.render(SimpleNamespace(fields={"runs": False}, completed=0, total=None, elapsed=3.0)).plain == ""  # a run's own line
