"""Property tests (hypothesis) of the probe's subsets of the support and their controls."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.runs.probe import probe_subsets

FEW = settings(max_examples=12, deadline=None)  # each example compiles a small XLA program
SOME = settings(max_examples=40, deadline=None)


@SOME
@given(st.integers(1, 5), st.integers(0, 25), st.integers(1, 30), st.integers(0, 1000), st.data())
def test_probe_subsets_are_every_support_subset_and_distinct_controls_of_each_degree(k, extra, n_controls, seed, data):
    d = k + extra
    support = sorted(data.draw(st.permutations(range(d)))[:k])
    max_degree = data.draw(st.integers(1, k))
    subsets = probe_subsets(d, support, max_degree, n_controls, seed)
    rows = [tuple(np.flatnonzero(m)) for m in subsets.masks_SxD]
    assert [len(r) for r in rows] == subsets.degree_S.tolist()
    for degree in range(1, max_degree + 1):
        inside = [r for r, g, i in zip(rows, subsets.degree_S, subsets.inside_S) if g == degree and i]
        controls = [r for r, g, i in zip(rows, subsets.degree_S, subsets.inside_S) if g == degree and not i]
        assert inside == list(itertools.combinations(support, degree))
        assert len(set(controls)) == len(controls) == min(n_controls, math.comb(d, degree) - math.comb(k, degree))
        assert not any(set(c) <= set(support) for c in controls)


# ----- grid expansion -----
