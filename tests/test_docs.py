"""The README and docs say what is true for a new user: no pasted fragments, no citation of files outside the repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tracked() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / n for n in names if n.endswith((".md", ".py", ".toml", ".json"))]


def test_nothing_cites_a_file_that_is_not_in_the_repository():
    citing = [str(p.relative_to(ROOT)) for p in tracked() if p.name != "test_docs.py" and "SCIENCE" + ".md" in p.read_text(errors="ignore")]
    assert citing == [], f"cite docs/ (which quotes the papers) instead: {citing}"


def test_the_readme_states_each_fact_once_and_fits():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    assert text.count("batch 32, lr 0.1, hinge loss, plain SGD, online data, 8 seeds") == 1  # the defaults, once
    assert "a few minutes" not in text and "about 4.5 minutes on 2 quiet CPU cores" in text  # make test, as measured
