"""Property tests (hypothesis) of grid expansion: products, zipped lists, command-line round trips."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from parity.sweeps import grid

FEW = settings(max_examples=12, deadline=None)  # each example compiles a small XLA program
SOME = settings(max_examples=40, deadline=None)


AXES = {
    "d": st.integers(10, 99),
    "width": st.integers(1, 999),
    "lr": st.floats(0.001, 1.0),
    "seed": st.integers(0, 999),
    "loss": st.sampled_from(["hinge", "ce", "square", "logistic"]),
}


@st.composite
def grids(draw):
    names = draw(st.lists(st.sampled_from(sorted(AXES)), min_size=1, max_size=4, unique=True))
    zipped = draw(st.sampled_from([()] + [tuple(p) for p in itertools.combinations(names, 2)]))
    length = draw(st.integers(1, 3))
    values = {}
    for name in names:
        size = length if name in zipped else draw(st.integers(1, 3))
        values[name] = draw(st.lists(AXES[name], min_size=size, max_size=size, unique=True))
    return values, [zipped] if zipped else []


@SOME
@given(grids())
def test_a_grid_is_the_product_of_its_lists_with_zipped_lists_paired(case):
    values, zips = case
    points = grid.expand(values, zips)
    assert grid.size(grid.Spec("train", values, zips)) == len(points)
    assert all(set(p) == set(values) for p in points)
    free = [n for n in values if not any(n in g for g in zips)]
    keys = [tuple(values[n].index(p[n]) for n in free) + tuple(values[g[0]].index(p[g[0]]) for g in zips) for p in points]
    assert len(set(keys)) == len(points)  # every combination once
    assert len(points) == math.prod(len(values[n]) for n in free) * math.prod(len(values[g[0]]) for g in zips)
    for group in zips:  # zipped options take their i-th values together
        assert all(len({values[n].index(p[n]) for n in group}) == 1 for p in points)


@SOME
@given(grids())
def test_command_line_lists_parse_back_to_the_same_grid(case):
    values, zips = case
    text = {n: ",".join(repr(v) if isinstance(v, float) else str(v) for v in vs) for n, vs in values.items()}
    spec = grid.from_command_line("train", text, [",".join(g) for g in zips], "out")
    assert spec.values == values and spec.zips == zips


# ----- teacher SPECs -----


def test_an_epochs_list_sets_each_points_steps_on_the_command_line_and_in_a_file(tmp_path):
    lists = {"data": "pool", "pool_size": "1024", "batch_size": "32", "epochs": "1,2,4"}
    built = grid.build(grid.from_command_line("train", lists, [], "o"))
    assert [(c.epochs, c.steps) for c in built.configs] == [(1.0, 32), (2.0, 64), (4.0, 128)] and built.axes == ("epochs",)
    (tmp_path / "epochs.toml").write_text('[sweep]\ndata = "pool"\npool_size = 1024\nepochs = [1, 2, 4]\n')
    from_file = grid.build(grid.from_command_line(str(tmp_path / "epochs.toml"), {}, [], None))
    assert from_file.configs == built.configs
    try:
        grid.build(grid.from_command_line("train", {**lists, "steps": "100"}, [], "o"))
    except Exception as err:  # both given: the one-line error names both
        assert "--steps 100 and --epochs 1: give one of them" in str(err)
    else:
        raise AssertionError("--steps with --epochs must be refused")
