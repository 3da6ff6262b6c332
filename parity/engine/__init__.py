"""Everything inside jit: task, model, loss, optimiser, data, evaluation, the segment loop. No files, no terminal."""
