"""The transformer reference: parity's `--model transformer` written the way research code writes it.

A nanoGPT-style GPT-2 block in eager PyTorch (token and position embeddings, pre-layer-norm causal
self-attention through `scaled_dot_product_attention`, a 4 x dim feed-forward), the label read at the
last position, hinge loss, `torch.optim.Adam`, a fresh batch every step, one model per process.
"""

from __future__ import annotations

import time


def _model(torch, d: int, dim: int, heads: int, layers: int):
    nn, F = torch.nn, torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_attn, self.qkv, self.proj = nn.LayerNorm(dim), nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
            self.ln_mlp, self.fc, self.fc_out = nn.LayerNorm(dim), nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

        def forward(self, h):
            n, t, e = h.shape
            q, k, v = self.qkv(self.ln_attn(h)).split(e, dim=2)
            q, k, v = (z.view(n, t, heads, e // heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(n, t, e)
            h = h + self.proj(y)
            return h + self.fc_out(F.relu(self.fc(self.ln_mlp(h))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.token, self.position = nn.Embedding(2, dim), nn.Embedding(d, dim)
            self.blocks = nn.ModuleList(Block() for _ in range(layers))
            self.ln_final, self.out = nn.LayerNorm(dim), nn.Linear(dim, 1)

        def forward(self, tokens):
            h = self.token(tokens) + self.position(torch.arange(tokens.shape[1]))
            for block in self.blocks:
                h = block(h)
            return self.out(self.ln_final(h[:, -1])).squeeze(1)

    return GPT()


def steps_per_second(d: int, k: int, dim: int, heads: int, layers: int, batch: int, steps: int, lr: float = 1e-3) -> float:
    import torch

    torch.manual_seed(0)
    support = torch.randperm(d)[:k]
    model = _model(torch, d, dim, heads, layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step():
        tokens = torch.randint(0, 2, (batch, d))
        y = (tokens[:, support] * 2 - 1).prod(dim=1).float()
        loss = torch.clamp(1 - y * model(tokens), min=0).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(min(20, steps)):  # warm-up: allocator, kernels
        step()
    tic = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - tic)
