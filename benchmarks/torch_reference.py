"""The reference: the same model and step written the way public research code writes it.

Eager PyTorch, a fresh batch every step, `loss.backward()`, `optimizer.step()`. As a process
(`python benchmarks/torch_reference.py --steps 2000 --width 1000`) it does what
`parity train --seeds 1 --no-early-stop` does: train, evaluate on the held-out set every
--eval-every steps, and print the final test accuracy.
"""

from __future__ import annotations

import argparse
import time


def _setup(d: int, k: int, width: int, lr: float):
    import torch

    torch.manual_seed(0)
    support = torch.randperm(d)[:k]
    model = torch.nn.Sequential(torch.nn.Linear(d, width), torch.nn.ReLU(), torch.nn.Linear(width, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    return torch, support, model, optimizer


def _batch(torch, n: int, d: int, support):
    x = torch.randint(0, 2, (n, d)).float() * 2 - 1
    return x, x[:, support].prod(dim=1)


def _train_step(torch, model, optimizer, x, y) -> None:
    out = model(x).squeeze(1)
    loss = torch.clamp(1 - y * out, min=0).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def steps_per_second(d: int, k: int, width: int, batch: int, steps: int, lr: float = 0.1) -> float:
    torch, support, model, optimizer = _setup(d, k, width, lr)

    def step():
        _train_step(torch, model, optimizer, *_batch(torch, batch, d, support))

    for _ in range(min(50, steps)):  # warm-up: allocator, kernels
        step()
    tic = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - tic)


def run(d: int, k: int, width: int, batch: int, steps: int, eval_every: int, test_size: int, lr: float = 0.1) -> float:
    """A whole short run: train, evaluate every `eval_every` steps; returns the last test accuracy."""
    torch, support, model, optimizer = _setup(d, k, width, lr)
    x_test, y_test = _batch(torch, test_size, d, support)
    acc = float("nan")
    for step in range(1, steps + 1):
        _train_step(torch, model, optimizer, *_batch(torch, batch, d, support))
        if step % eval_every == 0 or step == steps:
            with torch.no_grad():
                acc = float((torch.sign(model(x_test).squeeze(1)) == y_test).float().mean())
    return acc


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    for name, default in (("d", 50), ("k", 3), ("width", 1000), ("batch", 32), ("steps", 2000), ("eval-every", 1000), ("test-size", 8192)):
        ap.add_argument(f"--{name}", type=int, default=default)
    a = ap.parse_args()
    print(f"test_acc {run(a.d, a.k, a.width, a.batch, a.steps, a.eval_every, a.test_size):.4f}")
