"""The model family's options: per-model defaults, impossible shapes, and sizes for the memory estimate (pure, no JAX)."""

from __future__ import annotations

from typing import Any

from parity.errors import require

MODELS = ("mlp", "transformer")
SPARSITY_DEFAULT = 2  # TrainConfig.init_sparsity's default

# What a transformer run uses unless told otherwise: the MLP's defaults (plain SGD at lr 0.1, the
# canonical Barak et al. run) stay as they are. Adam on two logits with cross-entropy, as the official
# progressive-distillation code trains its GPT-2-style transformer. Measured on (20, 3), 8 seeds, batch 32
# (steps to 99%): dim 32, lr 3e-4, cross-entropy: 900, 1,100, 4,800, 2,500, 1,200, 500, 500, 900, every
# seed inside a quarter of the budget (190 s on 2 CPU cores). With the hinge loss one seed stayed at chance
# (a constant output) past 4,500 steps at dim 64, lr 1e-3 and past 5,000 at dim 32, lr 3e-4 (the others at
# 400-2,200); at dim 32, lr 1e-3 and 3e-3 left half the seeds at chance after 4,000. Dim 32 for speed: about
# 2.4x the model-steps per second of dim 64 on a CPU.
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "mlp": {},
    "transformer": {"optimizer": "adam", "lr": 3e-4, "loss": "ce", "dim": 32, "steps": 20_000, "eval_every": 500},
}


def resolve(values: dict[str, Any]) -> dict[str, Any]:
    """The options given (field names), with the chosen model's defaults for those left out."""
    model = str(values.get("model", "mlp"))
    require(model in MODELS, f"--model {model!r}: unknown; allowed: {', '.join(MODELS)}")
    return {**MODEL_DEFAULTS[model], **values}


def validate(cfg) -> None:
    """One line for the first impossible shape of the chosen model."""
    for flag, value in (("--depth", cfg.depth), ("--layers", cfg.layers), ("--heads", cfg.heads), ("--dim", cfg.dim)):
        require(value > 0, f"{flag} {value}: must be a positive integer")
    if cfg.model == "transformer":
        require(cfg.dim % cfg.heads == 0, f"--heads {cfg.heads}: must divide --dim {cfg.dim} (each head gets --dim / --heads features)")
        # a saved config holds every field, the default --init-sparsity too: only another value is a mistake
        require(
            cfg.init_sparsity == SPARSITY_DEFAULT, f"--init-sparsity {cfg.init_sparsity}: the transformer has no per-input first layer; leave it out"
        )
        require(cfg.init != "sparse", "--init sparse: the transformer has no per-input first layer; allowed: torch, gaussian")


def n_params(cfg) -> int:
    """Trainable parameters of one seed's model."""
    out = cfg.n_out
    if cfg.model == "transformer":
        dim, bias = cfg.dim, int(cfg.bias)
        block = 4 * dim * dim + 8 * dim * dim + (4 + 9 * bias) * dim  # attention, the 4 x dim feed-forward, two layer norms, biases
        return 2 * dim + cfg.d * dim + cfg.layers * block + 2 * dim + dim * out + out * bias
    w, depth = cfg.width, cfg.depth
    return cfg.d * w + (depth - 1) * w * w + w * out + ((depth * w + out) if cfg.bias else 0)


def activations(cfg) -> int:
    """Floats of hidden activations per sample in a forward pass (a lower bound of what backprop keeps)."""
    if cfg.model == "transformer":
        return cfg.layers * cfg.d * (10 * cfg.dim + cfg.heads * cfg.d)
    return cfg.depth * cfg.width
