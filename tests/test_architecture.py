"""The package's layout holds: import contracts, the architecture document, short functions,
package data declared as such."""
from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "tco"
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([str(LINT), "--no-cache", "--no-logo", ".importlinter"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _modules() -> set[str]:
    """Every module file of tco/ (sub-packages' empty __init__ files aside), as a repo path."""
    out = set()
    for p in PACKAGE.rglob("*.py"):
        if "__pycache__" in p.parts:
            continue
        if p.name == "__init__.py" and p.parent != PACKAGE and not ast.parse(p.read_text()).body[1:]:
            continue   # a sub-package marker with at most a docstring
        out.add(p.relative_to(REPO).as_posix())
    return out


def test_import_contracts_hold():
    res = _lint(REPO)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


@pytest.mark.parametrize("module, line, contract", [
    # the engine importing Flask breaks the web-stack contract
    ("bills.py", "import flask  # noqa", "Only the web layer and the CLI import the web stack"),
    # a cost concept importing what builds on it breaks the layers
    ("resolve.py", "import tco.hybrid  # noqa", "Layers"),
    # the catalog (bottom) importing the engine (top)
    ("catalog.py", "import tco.engine  # noqa", "Layers"),
])
def test_contracts_fail_on_a_forbidden_import(tmp_path, module, line, contract):
    shutil.copytree(PACKAGE, tmp_path / "tco", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / ".importlinter", tmp_path / ".importlinter")
    target = tmp_path / "tco" / module
    target.write_text(target.read_text() + f"\n{line}\n")
    res = _lint(tmp_path)
    assert res.returncode != 0, res.stdout
    broken = res.stdout.split("Broken contracts")[-1]
    assert contract in broken


def test_architecture_doc_lists_every_module_and_nothing_else():
    doc = (REPO / "docs" / "architecture.md").read_text()
    listed = set(re.findall(r"^\| `(tco/[\w/]+\.py)` \|", doc, flags=re.M))
    modules = _modules()
    assert modules - listed == set(), "modules missing from docs/architecture.md"
    assert listed - modules == set(), "docs/architecture.md lists modules that do not exist"


def test_layers_in_the_doc_match_the_contracts():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / ".importlinter")
    layered = set(re.findall(r"tco[\w.]*", cfg["importlinter:contract:layers"]["layers"]))
    doc = (REPO / "docs" / "architecture.md").read_text()
    table = doc.split("## Layers")[1].split("## Modules")[0]
    assert set(re.findall(r"`(tco[\w.]*)`", table)) == layered
    # every top-level module of tco (web as one) sits in a layer
    top = {f"tco.{p.stem}" for p in PACKAGE.glob("*.py") if p.name != "__init__.py"} | {"tco.web"}
    assert top == layered


def _long_functions():
    for p in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(p.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 80:
                    yield p.relative_to(REPO).as_posix(), node.name, n, ast.get_docstring(node) or ""


def test_long_functions_say_why():
    """No function in tco/ over about 80 lines without a sentence near its top saying why."""
    unexplained = [(f, name, n) for f, name, n, doc in _long_functions()
                   if not re.search(r"^Long (because|for)\b", doc, flags=re.M)]
    assert unexplained == []


def test_package_data_is_declared():
    """Every non-Python file shipped inside tco/ sits in a discovered package and matches a
    package_data pattern, so installing the package warns about nothing and ships them."""
    from fnmatch import fnmatch

    from setuptools import find_namespace_packages

    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    assert cfg["options"]["packages"].strip() == "find_namespace:"
    find = cfg["options.packages.find"]
    packages = set(find_namespace_packages(str(REPO), include=find["include"].replace(",", " ").split(),
                                           exclude=find["exclude"].replace(",", " ").split()))
    patterns = [x.strip() for x in cfg["options.package_data"]["*"].split(",")]
    for p in PACKAGE.rglob("*"):
        if p.is_dir() or "__pycache__" in p.parts or p.suffix in (".py", ".pyc"):
            continue
        pkg = ".".join(p.parent.relative_to(REPO).parts)
        assert pkg in packages, f"{p} is not in a package setuptools finds"
        assert any(fnmatch(p.name, pat) for pat in patterns), f"{p} matches no package_data pattern"
