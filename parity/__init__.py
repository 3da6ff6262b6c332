"""parity: sparse-parity learning in JAX.

Layers, each importing only those below it: this package's root (pure config, errors, SPEC
grammars, statistics) <- engine (inside jit) <- runs (one run directory) <- sweeps <- analysis
<- shell (the CLI's helpers). tests/test_layering.py enforces the direction.
"""
