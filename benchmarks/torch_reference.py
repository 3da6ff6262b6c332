"""The reference: the same model and step written the way public research code writes it.

Eager PyTorch, a fresh batch every step, `loss.backward()`, `optimizer.step()`.
"""

from __future__ import annotations

import time


def steps_per_second(d: int, k: int, width: int, batch: int, steps: int, lr: float = 0.1) -> float:
    import torch

    torch.manual_seed(0)
    support = torch.randperm(d)[:k]
    model = torch.nn.Sequential(torch.nn.Linear(d, width), torch.nn.ReLU(), torch.nn.Linear(width, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)

    def step():
        x = torch.randint(0, 2, (batch, d)).float() * 2 - 1
        y = x[:, support].prod(dim=1)
        out = model(x).squeeze(1)
        loss = torch.clamp(1 - y * out, min=0).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(min(50, steps)):  # warm-up: allocator, kernels
        step()
    tic = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - tic)
