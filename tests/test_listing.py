"""Run directories under folders: found recursively, their status, the options that differ."""

import pandas as pd
from run_helpers import fake_run

from parity.runs import files, listing


def test_runs_are_found_recursively_once_each_without_searching_inside_a_run(tmp_path):
    a = fake_run(tmp_path / "a")
    b = fake_run(tmp_path / "sweep" / "runs" / "b", d=20)
    (a / "checkpoints" / "nested").mkdir(parents=True)
    (a / "checkpoints" / "nested" / files.CONFIG).write_text("{}")  # inside a run: not a run of its own
    (tmp_path / ".hidden" / "c").mkdir(parents=True)
    (tmp_path / ".hidden" / "c" / files.CONFIG).write_text("{}")
    assert listing.find_runs([tmp_path]) == [a, b]
    assert listing.find_runs([a, tmp_path]) == [a, b]  # each once, in the order given


def test_status_is_finished_resumable_or_unfinished(tmp_path):
    assert listing.status(fake_run(tmp_path / "done")) == "finished"
    assert listing.status(fake_run(tmp_path / "paused", finished=False, resumable=True)) == "resumable"
    assert listing.status(fake_run(tmp_path / "started", finished=False)) == "unfinished"


def test_a_listing_has_every_option_and_the_outcome_in_columns_of_their_own(tmp_path):
    fake_run(tmp_path / "a", d=20)
    fake_run(tmp_path / "b", d=30, finished=False)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / files.CONFIG).write_text("{not json")
    frame = listing.listing([tmp_path]).set_index("run")
    a, b, broken = (str(tmp_path / n) for n in ("a", "b", "broken"))
    assert frame.loc[a, "d"] == 20 and frame.loc[a, "steps"] == 100_000 and frame.loc[a, "steps_trained"] == 2000
    assert frame.loc[a, "status"] == "finished" and frame.loc[a, "solved"] == 8 and frame.loc[a, "median_steps_to_target"] == 1234.0
    assert frame.loc[b, "status"] == "unfinished" and pd.isna(frame.loc[b, "solved"])
    assert frame.loc[broken, "status"] == "unreadable"
    assert frame.loc[a, "support"] == "0,1,2"  # the support actually used


def test_the_options_that_differ_leave_out_those_that_follow_from_others():
    frame = pd.DataFrame({"command": ["train"] * 3, "d": [20, 30, 30], "k": [3, 3, 3], "seed": [0, 1, 2], "support": ["1,2,3", "4,5,6", "4,5,6"]})
    assert listing.varying_options(frame) == ["d"]  # seed pooled; support follows from d
    epochs = pd.DataFrame({"command": ["train"] * 2, "epochs": [1.0, 2.0], "steps": [512, 1024]})
    assert listing.varying_options(epochs) == ["epochs"]  # the steps follow from the epochs
    both = pd.DataFrame({"command": ["train"] * 2, "epochs": [0.0, 2.0], "steps": [512, 1024]})
    assert listing.varying_options(both) == ["steps", "epochs"]
