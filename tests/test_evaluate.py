"""The hidden-progress measures recorded at every evaluation (weight movement by rows)."""

import numpy as np

from parity.config import TrainConfig
from parity.engine.loop import train
from parity.engine.model import first_layer


def test_weight_movement_columns_are_the_mean_change_of_the_support_rows_and_of_the_others():
    cfg = TrainConfig(d=12, k=3, width=16, batch_size=8, steps=200, eval_every=100, seeds=2, test_size=256, early_stop=False)
    result = train(cfg)
    change_SxDxH = np.abs(np.asarray(first_layer(result.state.params)) - np.asarray(result.state.w0))
    on = np.isin(np.arange(cfg.d), result.support)
    last = result.history[-1]
    np.testing.assert_allclose(last["w_support_change"], change_SxDxH[:, on].mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(last["w_offsupport_change"], change_SxDxH[:, ~on].mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(last["w_change_inf"], change_SxDxH.max(axis=(1, 2)), rtol=1e-6)

    w_SxDxH = np.abs(np.asarray(first_layer(result.state.params)))
    margin_SxH = w_SxDxH[:, on].min(axis=1) / w_SxDxH[:, ~on].max(axis=1)
    np.testing.assert_allclose(last["w_support_margin"], margin_SxH.max(axis=1), rtol=1e-5)
