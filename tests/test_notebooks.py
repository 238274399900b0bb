"""The analyst notebooks in ``notebooks/``: each runs top to bottom in a fresh kernel, is committed without
outputs, and is linked from the README.

The notebooks check their own numbers with ``assert`` statements, so executing them is the test; a failing
cell fails the test with the cell's traceback.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {"01_quickstart.ipynb", "02_extend_pricing_tables.ipynb", "03_break_even_sweeps.ipynb",
            "04_hybrid_and_uncertainty.ipynb"}
CELL_TIMEOUT_S = 120
KERNEL = "python3"


def _ids(paths):
    return [p.stem for p in paths]


def _execute(nb, cwd: Path) -> None:
    """Run ``nb`` in place in a fresh ``python3`` kernel whose working directory is ``cwd``.

    jupyter_client resolves the ``python3`` kernel spec of this environment and starts it with
    ``sys.executable`` (the spec's ``python`` is replaced by it), so the kernel is this venv's
    Python; ``test_kernel_is_this_venv`` checks that.
    """
    NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name=KERNEL,
                   resources={"metadata": {"path": str(cwd)}}).execute()


def _snapshot(*dirs: Path) -> dict[str, tuple[int, int]]:
    """Files under ``dirs`` with their modification time and size."""
    out = {}
    for d in dirs:
        for p in d.rglob("*"):
            if p.is_file():
                st = p.stat()
                out[str(p.relative_to(REPO))] = (st.st_mtime_ns, st.st_size)
    return out


def _top_level() -> set[str]:
    """Entries at the repository's root, tool caches (dot entries) aside."""
    return {p.name for p in REPO.iterdir() if not p.name.startswith(".")}


def test_the_notebooks_are_there():
    assert EXPECTED <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_clean(path):
    """No outputs, no execution counts, no timing metadata; the python3 kernel spec."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL
    dirty = [f"cell {i} ({cell.get('id')})" for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None or "execution" in cell.metadata)]
    assert not dirty, f"{path.name}: clear outputs and execution counts before committing: {', '.join(dirty)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_readme_links_the_notebook(path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    link = re.compile(r"\]\((\./)?notebooks/" + re.escape(path.name) + r"\)")
    if not link.search(readme):
        pytest.fail(f"README.md has no link [...](notebooks/{path.name})")


@pytest.mark.notebook
def test_kernel_is_this_venv(tmp_path):
    """The notebooks run on the Python (and so the installed tco) of the test run, not one found on PATH."""
    nb = new_notebook(cells=[new_code_cell("import sys, tco; print(sys.prefix); print(tco.__file__)")])
    _execute(nb, tmp_path)
    prefix, tco_file = nb.cells[0].outputs[0]["text"].split()
    import tco
    assert prefix == sys.prefix
    assert Path(tco_file) == Path(tco.__file__)


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path, tmp_path, monkeypatch):
    """The notebook runs top to bottom in a fresh kernel, and writes nothing outside its temp folders."""
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))   # inherited by the kernel: its tempfile.mkdtemp() lands here
    watched = (NOTEBOOK_DIR, REPO / "tco" / "pricing")
    before, top_before = _snapshot(*watched), _top_level()
    nb = nbformat.read(path, as_version=4)

    _execute(nb, cwd)

    assert sorted(p.name for p in cwd.iterdir()) == [], "the notebook wrote into its working directory"
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith("tco-")) == [], \
        "the notebook left its temp folders behind"
    assert _snapshot(*watched) == before, "the notebook changed files in notebooks/ or tco/pricing/"
    assert _top_level() - top_before == set(), "the notebook created files at the repository root"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
