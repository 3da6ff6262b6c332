"""Parquet tables written atomically (metrics.parquet, probe.parquet, results.parquet), numpy columns as Arrow buffers.

Apart from files.py, which `parity --help` imports: pyarrow and numpy load only where a table is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from parity.runs import files


def write_table(path: Path, columns: dict[str, Any]) -> None:
    """A Parquet file that pandas.read_parquet reads, written atomically; a column given as None is all null."""
    sink = pa.BufferOutputStream()
    pq.write_table(_arrow_table(columns), sink)
    files.atomic_write_bytes(path, sink.getvalue().to_pybytes())


def _arrow_table(columns):
    """The same table as `pa.table(columns)`; numpy number and bool columns go in as buffers, because
    pyarrow's converter imports pandas (0.2 s) to ask whether a numpy array is a pandas object."""
    if not isinstance(columns, dict) or not all(
        v is None or (isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "biuf") for v in columns.values()
    ):
        return pa.table(columns)  # a DataFrame (results.parquet), strings, objects
    rows = next((len(v) for v in columns.values() if v is not None), 0)
    arrays = []
    for values in columns.values():
        if values is None:  # a measure this run's model does not define
            arrays.append(pa.nulls(rows, pa.float32()))
            continue
        values = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("="))
        data = np.packbits(values, bitorder="little") if values.dtype.kind == "b" else values  # Arrow's bools are a bitmap
        arrays.append(pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(data)]))
    return pa.Table.from_arrays(arrays, names=list(columns))
