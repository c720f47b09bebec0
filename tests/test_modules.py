"""The package's modules: one job each, small enough to read (about 400 lines at most), each with a docstring."""

from __future__ import annotations

import ast

from tests.conftest import REPO

PACKAGE = REPO / "dsaas_infra"
MAX_LINES = 400
# dsaas_infra/templates links to templates/: code shipped into the blueprints, linted and tested where it lives.
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "templates")


def test_the_package_has_modules():
    assert len(MODULES) > 100, MODULES


def test_no_module_is_over_about_400_lines():
    too_long = {path.relative_to(REPO).as_posix(): n for path in MODULES
                if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not too_long, f"split these by job (a module per concern, see docs/dev/architecture.md): {too_long}"


def test_every_module_starts_with_a_docstring():
    missing = [path.relative_to(REPO).as_posix() for path in MODULES
               if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert not missing, f"start each with a one-line docstring saying what it is for: {missing}"
