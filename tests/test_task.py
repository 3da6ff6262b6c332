import jax
import jax.numpy as jnp
import numpy as np

from parity.config import TrainConfig
from parity.engine import task


def test_labels_are_the_parity_of_the_support():
    support = jnp.array([1, 4, 6])
    x, y = task.sample(jax.random.PRNGKey(3), 512, 9, support)
    x = np.asarray(x)
    assert set(np.unique(x)) == {-1.0, 1.0}
    np.testing.assert_array_equal(np.asarray(y), x[:, 1] * x[:, 4] * x[:, 6])


def test_unpacked_bits_are_uniform_and_cover_every_coordinate():
    x = np.asarray(task.unpack(task.random_words(jax.random.PRNGKey(0), 4096, 70), 70))
    assert x.shape == (4096, 70)
    means = x.mean(axis=0)
    assert np.all(np.abs(means) < 0.1)  # each coordinate is a fair coin (4096 draws: sd 0.016)
    assert abs(np.corrcoef(x[:, 0], x[:, 33])[0, 1]) < 0.1  # words are independent


def test_support_is_k_distinct_indices_drawn_from_task_seed():
    a = task.draw_support(TrainConfig(d=40, k=5, task_seed=1))
    b = task.draw_support(TrainConfig(d=40, k=5, task_seed=1))
    c = task.draw_support(TrainConfig(d=40, k=5, task_seed=2))
    assert len(set(a.tolist())) == 5 and a.min() >= 0 and a.max() < 40
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(task.draw_support(TrainConfig(d=10, k=2, support=(7, 3))), [7, 3])


def test_test_set_depends_on_the_task_not_the_training_seed():
    cfg = TrainConfig(d=12, k=2, test_size=64)
    x1, _ = task.test_set(cfg, np.array([0, 1]))
    x2, _ = task.test_set(TrainConfig(d=12, k=2, test_size=64, seed=5), np.array([0, 1]))
    np.testing.assert_array_equal(np.asarray(x1), np.asarray(x2))


def test_label_noise_flips_about_p_of_labels():
    y = jnp.ones(20000)
    flipped = task.flip_labels(jax.random.PRNGKey(1), y, 0.2)
    assert abs(float(jnp.mean(flipped < 0)) - 0.2) < 0.02
