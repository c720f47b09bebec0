"""The client README's architecture diagram: valid Mermaid (rendered by mermaid-cli in Chromium),
every node connected, the level reflected, and free text kept (non-ASCII) but never able to break out."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec
from dsaas_infra.spec.loader import load_spec_text
from tests.conftest import example_specs

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_NODE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*(\(\[|\[\(|\{\{|\[\[|\[|\(\(|\(|\{|>)")
_EDGE = re.compile(r"(-->|-\.->|==>|---|-\.\s.*?\s\.->|--\s.*?\s-->)")


def diagrams(readme: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", readme, re.S)


def _readme(spec) -> str:
    return render_blueprint(spec)["README.md"].decode("utf-8")


def _strip_labels(line: str) -> str:
    """The line with node labels (quoted or bracketed text) removed, so ids and arrows remain."""
    line = re.sub(r'"[^"]*"', '""', line)
    for _ in range(3):
        line = re.sub(r"(\(\[|\[\(|\{\{|\[\[|\(\()[^\]\)\}]*(\]\)|\)\]|\}\}|\]\]|\)\))", "", line)
        line = re.sub(r"\[[^\]]*\]|\([^\)]*\)|\{[^\}]*\}", "", line)
    return line


def nodes_and_edges(diagram: str) -> tuple[set[str], set[str]]:
    defined, linked = set(), set()
    for raw in diagram.splitlines()[1:]:
        line = raw.strip()
        if not line or line.startswith(("%%", "subgraph", "end", "classDef", "class ", "style ", "linkStyle")):
            continue
        defined.update(m.group(1) for m in _NODE.finditer(line))
        bare = _strip_labels(line)
        if _EDGE.search(bare):
            ids = re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", re.sub(r"-\.\s.*?\s\.->|--\s.*?\s-->", "-->", bare))
            linked.update(ids)
    return defined, linked


@pytest.mark.parametrize("spec_path", example_specs(), ids=lambda p: p.stem)
def test_every_node_is_connected(spec_path):
    for diagram in diagrams(_readme(load_spec(spec_path))):
        defined, linked = nodes_and_edges(diagram)
        assert defined, diagram
        assert defined <= linked, f"unconnected nodes {sorted(defined - linked)} in\n{diagram}"


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_the_diagram_reflects_the_level(cloud):
    shown = {}
    for level in ("reactive", "proactive", "managed"):
        spec = load_spec(REPO / "blueprints" / f"{cloud}-{level}.yaml")
        shown[level] = diagrams(_readme(spec))
    assert len({"\n".join(d) for d in shown.values()}) == 3, "two maturity levels draw the same diagram"


HOSTILE_NAME = 'Müller & Söhne «Data» "x"] --> evil[(pwn)] %%{init: {"theme":"dark"}}%% <b>#1</b>'


def _hostile_spec(cloud: str):
    data = yaml.safe_load((REPO / "blueprints" / f"{cloud}-managed.yaml").read_text())
    data["client"]["display_name"] = HOSTILE_NAME
    return load_spec_text(yaml.safe_dump(data, allow_unicode=True), "hostile.yaml")


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_free_text_keeps_non_ascii_and_cannot_add_nodes(cloud):
    for diagram in diagrams(_readme(_hostile_spec(cloud))):
        assert "evil" not in nodes_and_edges(diagram)[0]
        assert "%%{" not in diagram
        # Mermaid shows entity codes (#252;) as the characters: what a reader sees keeps every letter.
        shown = re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), diagram)
        if "ller" in shown:  # the display name is drawn
            assert "Müller" in shown and "Söhne" in shown and "«Data»" in shown


def _mmdc() -> str | None:
    for candidate in (os.environ.get("DSAAS_MMDC"),
                      str(Path(os.environ.get("DSAAS_TEST_TOOLS", REPO / ".tools"))
                          / "mermaid" / "node_modules" / ".bin" / "mmdc")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def mmdc(tmp_path_factory) -> tuple[str, Path]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (CI installs Debian's chromium)")
    binary = _mmdc()
    if binary is None:
        pytest.fail("mermaid-cli is missing: scripts/install_test_tools.sh installs it into .tools/mermaid")
    config = tmp_path_factory.mktemp("mmdc") / "puppeteer.json"
    config.write_text(json.dumps({"executablePath": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]}))
    return binary, config


def test_every_diagram_renders_with_mermaid_cli(mmdc, tmp_path):
    """All examples' diagrams (and a hostile display name) in one mermaid-cli run per file."""
    binary, config = mmdc
    specs = [load_spec(p) for p in example_specs()] + [_hostile_spec("aws"), _hostile_spec("gcp")]
    sources = []
    for i, spec in enumerate(specs):
        for j, diagram in enumerate(diagrams(_readme(spec))):
            path = tmp_path / f"{i}-{j}.mmd"
            path.write_text(diagram, encoding="utf-8")
            sources.append(path)
    assert len(sources) >= len(specs)
    # One markdown file holding every diagram: one browser start for all of them.
    md = tmp_path / "all.md"
    md.write_text("\n".join(f"```mermaid\n{p.read_text(encoding='utf-8')}```\n" for p in sources), encoding="utf-8")
    result = subprocess.run([binary, "-p", str(config), "-i", str(md), "-o", str(tmp_path / "out.md"), "-q"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    svgs = sorted(tmp_path.glob("out-*.svg"))
    assert len(svgs) == len(sources)
    texts = [svg.read_text(encoding="utf-8") for svg in svgs]
    for svg, text in zip(svgs, texts, strict=True):
        assert "Syntax error" not in text and "<svg" in text, svg.name
    # The hostile display name is drawn as text, letters intact, and added no node.
    assert any("Müller" in t and "Söhne" in t for t in texts)
    assert not any(">pwn<" in t for t in texts)
