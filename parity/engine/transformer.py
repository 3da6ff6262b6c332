"""A small GPT-2-style transformer over the d input bits as tokens {0, 1}, its logits read at the last position."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from parity.engine.inits import activation_fn, gaussian_fan_in, uniform_fan_in

EMBED_STD = 0.02  # GPT-2's init for token and position embeddings


class Block(nn.Module):
    """Pre-layer-norm causal self-attention, then a 4 x dim feed-forward, each around a residual."""

    dim: int
    heads: int
    activation: str
    poly_degree: int
    bias: bool

    @nn.compact
    def __call__(self, h_NxTxE: jax.Array, causal_1xTxT: jax.Array) -> jax.Array:
        n, t, e = h_NxTxE.shape
        head = e // self.heads
        z = nn.LayerNorm(name="ln_attn")(h_NxTxE)
        qkv = nn.Dense(3 * e, use_bias=self.bias, name="qkv")(z).reshape(n, t, 3, self.heads, head)
        q_NxTxHxF, k_NxTxHxF, v_NxTxHxF = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
        scores_NxHxTxT = jnp.einsum("nthf,nshf->nhts", q_NxTxHxF, k_NxTxHxF) / jnp.sqrt(head).astype(z.dtype)
        scores_NxHxTxT = jnp.where(causal_1xTxT[:, None], scores_NxHxTxT, jnp.finfo(z.dtype).min)
        mixed_NxTxHxF = jnp.einsum("nhts,nshf->nthf", jax.nn.softmax(scores_NxHxTxT, axis=-1), v_NxTxHxF)
        h_NxTxE = h_NxTxE + nn.Dense(e, use_bias=self.bias, name="proj")(mixed_NxTxHxF.reshape(n, t, e))
        z = nn.LayerNorm(name="ln_mlp")(h_NxTxE)
        z = activation_fn(self.activation, self.poly_degree)(nn.Dense(4 * e, use_bias=self.bias, name="fc")(z))
        return h_NxTxE + nn.Dense(e, use_bias=self.bias, name="fc_out")(z)


class Transformer(nn.Module):
    """x in {-1, +1}^d becomes the tokens (x + 1) / 2 at positions 0..d-1; the head reads the last position,
    which sees every bit through the causal mask (the official progressive-distillation code's convention)."""

    dim: int = 64
    heads: int = 4
    layers: int = 2
    n_out: int = 1
    activation: str = "relu"
    poly_degree: int = 2
    bias: bool = True
    init_scheme: str = "torch"  # the head's init (there is no per-input first layer)
    init_scale_out: float = 1.0

    @nn.compact
    def __call__(self, x_NxD: jax.Array) -> jax.Array:
        n, d = x_NxD.shape
        tokens_NxD = (x_NxD > 0).astype(jnp.int32)
        embed = nn.initializers.normal(EMBED_STD)
        h_NxDxE = nn.Embed(2, self.dim, embedding_init=embed, name="token")(tokens_NxD)
        h_NxDxE = h_NxDxE + nn.Embed(d, self.dim, embedding_init=embed, name="position")(jnp.arange(d))[None]
        causal_1xDxD = jnp.tril(jnp.ones((d, d), bool))[None]
        for i in range(self.layers):
            h_NxDxE = Block(self.dim, self.heads, self.activation, self.poly_degree, self.bias, name=f"block_{i}")(h_NxDxE, causal_1xDxD)
        last_NxE = nn.LayerNorm(name="ln_final")(h_NxDxE[:, -1])
        head = uniform_fan_in if self.init_scheme != "gaussian" else gaussian_fan_in
        bias_init = uniform_fan_in(self.dim) if self.init_scheme != "gaussian" else nn.initializers.zeros
        out_NxO = nn.Dense(self.n_out, use_bias=self.bias, kernel_init=head(self.dim, self.init_scale_out), bias_init=bias_init, name="out")(last_NxE)
        return out_NxO[..., 0] if self.n_out == 1 else out_NxO
