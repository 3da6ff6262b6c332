"""Compiled programs kept on disk, keyed by all that makes them: a warm start skips tracing, lowering and compiling.

JAX's persistent compilation cache only skips XLA's compile: the program is still traced and lowered
to find its key (0.45 s of a 2.2 s `parity train`). Here the executable itself is serialised
(`jax.experimental.serialize_executable`) under a key of everything that decides the program, so
that a stale one can never run:

- the program's name and the Python values baked into it (the config, the segment's length, ...),
- its inputs' tree, shapes, dtypes and shardings,
- a digest of every source file of parity/ (any edit of the library is a new key),
- the versions of python, jax, jaxlib, flax and optax, the backend, its version and its devices,
- XLA_FLAGS and every JAX setting that can change a program (matmul precision, x64, PRNG, ...).

A file that cannot be read or loaded is compiled again and replaced; a program that cannot be
serialised (or an unwritable cache) only costs the compile. PARITY_EXECUTABLES=0 turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import platform
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import jax
from jax.experimental import serialize_executable

from parity.engine import machine

SOURCE_ROOT = Path(__file__).resolve().parent.parent  # the parity package
LIBRARIES = ("jax", "jaxlib", "flax", "optax")
VOLATILE = ("cache", "log", "explain")  # JAX settings that never change a program (where and whether to log or cache)
stats = {"loaded": 0, "compiled": 0}  # this process's counts, for tests and benchmarks
_loaded: dict[str, jax.stages.Compiled] = {}  # this process's programs by key: a second engine of the same config reuses them


@lru_cache(maxsize=None)
def source_digest(root: Path = SOURCE_ROOT) -> str:
    """sha256 of every .py file under `root` with its relative path: any edit of the library changes it."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def library_versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def signature(args) -> dict:
    """The inputs as the program sees them: tree structure, and each leaf's shape, dtype and sharding."""
    leaves, tree = jax.tree.flatten(args)
    described = []
    for leaf in leaves:
        sharding = getattr(leaf, "sharding", None)
        described.append([list(getattr(leaf, "shape", ())), str(getattr(leaf, "dtype", type(leaf).__name__)), str(sharding)])
    return {"tree": str(tree), "leaves": described}


def environment() -> dict:
    """Everything outside the arguments that decides the program: source, libraries, backend, flags, settings."""
    settings = {k: repr(v) for k, v in jax.config.values.items() if not any(word in k for word in VOLATILE)}
    return {
        "source": source_digest(),
        "versions": library_versions(),
        "backend": jax.default_backend(),
        "platform_version": getattr(jax.devices()[0].client, "platform_version", ""),
        "devices": [f"{d.platform}:{d.id}:{getattr(d, 'device_kind', '')}" for d in jax.devices()],
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "settings": settings,
    }


def program_key(name: str, statics: dict, args) -> str:
    """The key of program `name` with baked-in values `statics` on inputs `args` (see the module's docstring)."""
    parts = {"name": name, "statics": statics, "inputs": signature(args), "environment": environment()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


def directory() -> Path:
    return machine.cache_dir() / "executables"


def enabled() -> bool:
    return os.environ.get("PARITY_EXECUTABLES", "1") != "0"


def load_or_compile(jitted, args: tuple, name: str, statics: dict, by_text: bool = False) -> jax.stages.Compiled:
    """`jitted.lower(*args).compile()`, or the same program loaded from disk (or from this process) when its key was seen.

    by_text: where `statics` misses, lower the program and look it up by its text as well (programs that differ
    only in values given as inputs, e.g. two learning rates, share it); `statics`' key then points at it.
    """
    if not enabled():
        if not by_text:
            stats["compiled"] += 1
            return jitted.lower(*args).compile()
        lowered = jitted.lower(*args)
        text_key = program_key(name, {"text": hashlib.sha256(lowered.as_text().encode()).hexdigest()}, args)
        if text_key not in _loaded:  # this process still compiles each program once
            stats["compiled"] += 1
            _loaded[text_key] = lowered.compile()
        return _loaded[text_key]
    key = program_key(name, statics, args)
    if key not in _loaded:
        _loaded[key] = _load(_path(name, key), key) or _by_text(jitted, args, name, key, by_text)
    return _loaded[key]


def _by_text(jitted, args: tuple, name: str, key: str, by_text: bool) -> jax.stages.Compiled:
    """A miss of `key`: the program found by its lowered text (by_text), else compiled, and stored under both keys."""
    lowered = jitted.lower(*args)
    text_key = program_key(name, {"text": hashlib.sha256(lowered.as_text().encode()).hexdigest()}, args) if by_text else key
    compiled = _loaded.get(text_key) or _load(_path(name, text_key), text_key)
    if compiled is None:
        compiled = _fresh_compile(lowered, text_key)
        stats["compiled"] += 1
        _save(_path(name, text_key), text_key, compiled)
    _loaded[text_key] = compiled
    if text_key != key:  # an alias: a deserialised executable cannot be serialised again (see _fresh_compile)
        _write(_path(name, key), pickle.dumps((key, "alias", text_key, None, None)))
    return compiled


def _path(name: str, key: str) -> Path:
    return directory() / f"{name}-{key[:32]}.bin"


def _fresh_compile(lowered, key: str) -> jax.stages.Compiled:
    """Compile without JAX's persistent cache: XLA:CPU cannot serialise again an executable that came from it
    (the copy fails at run time, "Function ... not found"). Disabling an HLO pass that does not exist (named
    after the key) changes nothing in the program but makes JAX's cache key this program's own, so its cache
    misses; the raised threshold keeps JAX from storing a second copy of what is stored here."""
    threshold = jax.config.jax_persistent_cache_min_compile_time_secs
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float("inf"))
    try:
        return lowered.compile({"xla_disable_hlo_passes": f"parity-{key[:16]}"})
    finally:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", threshold)


def _load(path: Path, key: str) -> jax.stages.Compiled | None:
    try:
        stored_key, blob, in_tree, out_tree, device_ids = pickle.loads(path.read_bytes())
        if stored_key != key:  # a truncated name's collision: never run another program
            return None
        if blob == "alias":  # the program stored under its text's key (counted there)
            return _loaded.get(in_tree) or _load(_path(path.name.split("-")[0], in_tree), in_tree)
        by_id = {d.id: d for d in jax.local_devices()}
        # the devices it was compiled for, in order (a one-device program loaded onto every device would expect a shard on each)
        compiled = serialize_executable.deserialize_and_load(blob, in_tree, out_tree, execution_devices=[by_id[i] for i in device_ids])
    except Exception:  # absent, damaged or from an incompatible build: compile again, and the save replaces it
        return None
    stats["loaded"] += 1
    return compiled


def _save(path: Path, key: str, compiled) -> None:
    try:
        blob, in_tree, out_tree = serialize_executable.serialize(compiled)
        device_ids = [d.id for d in compiled.runtime_executable().local_devices()]
        _write(path, pickle.dumps((key, blob, in_tree, out_tree, device_ids)))
    except Exception:  # not serialisable (e.g. constants in the program): the compile is all it costs
        pass


def _write(path: Path, data: bytes) -> None:
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError:  # an unwritable cache only costs compile time
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
