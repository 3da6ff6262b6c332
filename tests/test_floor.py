"""The bare-JAX floor of `make bench` (benchmarks/floor.py) does the engine's training work: same numbers, bit for bit."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import floor  # noqa: E402
from parity.config import TrainConfig  # noqa: E402
from parity.engine.loop import train  # noqa: E402
from parity.engine.segment import Engine  # noqa: E402

TINY = TrainConfig(d=20, k=3, width=16, seeds=4, steps=200, eval_every=100, early_stop=False, test_size=512)


def test_the_floor_ends_with_the_engines_parameters_and_test_accuracies():
    engine = Engine(TINY)
    start = engine.init(TINY.seed_values)
    params, accs, _, _ = floor.run(TINY, floor.plain_params(start.params), start.key_data)
    result = train(TINY, engine=engine)  # with its checks and per-step metrics: they change no parameter
    for name, value in floor.plain_params(result.state.params).items():
        np.testing.assert_array_equal(np.asarray(params[name]), np.asarray(value))
    np.testing.assert_array_equal(np.stack(accs), np.stack([row["test_acc"] for row in result.history]))
