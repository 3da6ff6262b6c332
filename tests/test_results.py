"""results.parquet's rows: options and outcomes in columns of their own, from a sweep or any set of runs."""

import pandas as pd
from run_helpers import fake_run

from parity.config import FIELDS
from parity.sweeps import results


def test_no_summary_field_overwrites_an_option_column(tmp_path):
    run = fake_run(tmp_path / "r", data="pool", pool_size=1024, epochs=2.0, steps=64)
    rows = pd.DataFrame(results.run_rows(run))
    assert set(rows.epochs) == {2.0} and set(rows.steps) == {64}  # the options as given
    assert set(rows.epochs_trained) == {2000 * 32 / 1024} and set(rows.steps_trained) == {2000}  # what the run did
    assert results.outcome_column("epochs") == "epochs_trained" and results.outcome_column("solved") == "solved"
    assert results.outcome_column("support") == "support"  # the option's value as resolved
    assert all(results.outcome_column(name) != name for name in FIELDS if name != "support")


def test_an_epochs_sweep_groups_by_epochs_alone(tmp_path):
    for epochs, steps in ((1.0, 32), (2.0, 64)):
        fake_run(tmp_path / "runs" / f"e{epochs}", data="pool", pool_size=1024, epochs=epochs, steps=steps, seeds=2)
    frame = results.gather(tmp_path)
    table = results.grouped(frame)
    assert [c for c in table.columns if c not in results.GROUP_STATS] == ["epochs"]
    assert table.epochs.tolist() == [1.0, 2.0] and table.budget.tolist() == [32, 64]


def test_rows_of_any_runs_name_their_directory_and_count_runs_by_it(tmp_path):
    a = fake_run(tmp_path / "a", seeds=2)
    b = fake_run(tmp_path / "b", seeds=2)  # the same config in another directory: another run
    c = fake_run(tmp_path / "c", seeds=2, finished=False)
    frame = results.frame_of([a, b, c], where=True)
    assert sorted(set(frame.run)) == [str(a), str(b)] and len(frame) == 4
    assert results.grouped(frame).n_runs.tolist() == [2]


def test_only_a_directory_a_sweep_made_is_a_sweep_directory(tmp_path):
    fake_run(tmp_path / "plain" / "runs" / "r")
    assert not results.is_sweep_dir(tmp_path / "plain")  # e.g. the folder that holds the default runs/
    results.mark(tmp_path / "plain")
    assert results.is_sweep_dir(tmp_path / "plain")
