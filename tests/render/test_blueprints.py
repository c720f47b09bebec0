"""Every example blueprint: golden files, parseable, fmt-clean, deterministic, injection-proof."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from dsaas_infra.render import render_blueprint
from dsaas_infra.render.renderer import file_sources
from dsaas_infra.spec import load_spec, load_spec_text
from tests.conftest import REPO, example_specs

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
SPECS = example_specs()
IDS = [p.stem for p in SPECS]


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, bytes]]:
    return {p.stem: render_blueprint(load_spec(p)) for p in SPECS}


def test_there_are_examples_for_every_cloud_and_maturity():
    seen = {(load_spec(p).cloud, load_spec(p).client.maturity) for p in SPECS}
    for cloud in ("aws", "gcp"):
        for maturity in ("reactive", "proactive", "managed"):
            assert (cloud, maturity) in seen, f"no {cloud} {maturity} example in blueprints/"


@pytest.fixture(scope="module")
def sources() -> dict[str, dict[str, str]]:
    return {p.stem: file_sources(load_spec(p)) for p in SPECS}


def _not_templated(files: dict[str, bytes], sources: dict[str, str]) -> str:
    """The golden's list of the files it does not hold: copies of sources and files built from others."""
    return "".join(f"{name}  <- {'templates/' + sources[name] if name in sources else 'built at render time'}\n"
                   for name in sorted(files) if not sources.get(name, "").endswith(".j2"))


@pytest.mark.parametrize("stem", IDS)
def test_matches_golden_files(stem, rendered, sources, update_golden):
    """The golden holds what the templates render; the files copied as they are (Lambda, pipeline,
    proxy sources) or built from others (the proxy bundle) are only listed, in <stem>.not-templated.txt."""
    files = {name: content for name, content in rendered[stem].items()
             if sources[stem].get(name, "").endswith(".j2")}
    listing = _not_templated(rendered[stem], sources[stem])
    golden, listing_file = GOLDEN / stem, GOLDEN / f"{stem}.not-templated.txt"
    if update_golden:
        shutil.rmtree(golden, ignore_errors=True)
        for name, content in files.items():
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_bytes(content)
        listing_file.write_text(listing)
        return
    assert golden.is_dir(), f"no golden files for {stem}: run pytest --update-golden and review"
    expected = {
        p.relative_to(golden).as_posix(): p.read_bytes() for p in golden.rglob("*") if p.is_file()
    }
    assert sorted(files) == sorted(expected), "set of rendered files changed"
    for name in files:
        assert files[name] == expected[name], f"{stem}/{name} differs from golden (--update-golden to accept)"
    assert listing == listing_file.read_text(), f"{listing_file.name}: files copied or built changed"


@pytest.mark.parametrize("stem", IDS)
def test_copied_files_are_byte_identical_to_their_sources(stem, rendered, sources):
    copied = {name: source for name, source in sources[stem].items() if not source.endswith(".j2")}
    assert copied, f"{stem} ships no source file: this test would prove nothing"
    for name, source in copied.items():
        assert rendered[stem][name] == (REPO / "templates" / source).read_bytes(), name


@pytest.mark.parametrize("stem", IDS)
def test_every_tf_file_parses(stem, rendered):
    tf = {name: content for name, content in rendered[stem].items() if name.endswith(".tf")}
    assert "versions.tf" in tf and "providers.tf" in tf and "backend.tf" in tf
    for content in tf.values():
        hcl2.loads(content.decode())  # raises on a syntax error


@pytest.mark.parametrize("stem", IDS)
def test_rendering_is_deterministic(stem, rendered):
    spec_path = next(p for p in SPECS if p.stem == stem)
    assert render_blueprint(load_spec(spec_path)) == rendered[stem]


def _write(files: dict[str, bytes], root: Path) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)


def test_rendered_examples_are_terraform_fmt_clean(tmp_path, rendered, terraform_bin, terraform_env):
    for stem, files in rendered.items():
        _write(files, tmp_path / stem)
    result = subprocess.run(
        [terraform_bin, "fmt", "-check", "-recursive", "-list=true", str(tmp_path)],
        env=terraform_env, capture_output=True, text=True,
    )
    assert result.returncode == 0, f"not fmt-clean:\n{result.stdout}{result.stderr}"


HOSTILE_NAME = 'Evil" ${file("/etc/passwd")} %{ if true }x%{ endif } \\" }'


@pytest.mark.parametrize("stem", IDS)
def test_hostile_display_name_changes_only_its_own_text(stem, tmp_path):
    """Swapping the display name for a hostile one may only change the lines that show it."""
    spec_path = next(p for p in SPECS if p.stem == stem)
    text = spec_path.read_text()
    benign_text = _with_display_name(text, "Benign Name")
    hostile_text = _with_display_name(text, HOSTILE_NAME.replace("\\", "\\\\").replace('"', '\\"'))
    benign = render_blueprint(load_spec_text(benign_text, "b.yaml"))
    hostile = render_blueprint(load_spec_text(hostile_text, "h.yaml"))
    assert load_spec_text(hostile_text, "h.yaml").client.display_name == HOSTILE_NAME
    assert sorted(benign) == sorted(hostile)
    shown = [n for n in benign if n.endswith(".tf") and b"Benign Name" in benign[n]]
    assert shown, "the display name reaches no .tf file: this test would prove nothing"
    for name in benign:
        if not name.endswith(".tf"):
            continue
        b_lines = benign[name].decode().splitlines()
        h_lines = hostile[name].decode().splitlines()
        assert len(b_lines) == len(h_lines), name
        for b, h in zip(b_lines, h_lines, strict=True):
            if b != h:
                assert "Benign Name" in b, (name, b, h)
                # The hostile text adds no live interpolation or directive to the line.
                assert h.count("${") == b.count("${") and h.count("%{") == b.count("%{"), h
        hcl2.loads(hostile[name].decode())


def _with_display_name(text: str, value: str) -> str:
    lines = text.splitlines()
    out = []
    replaced = False
    for line in lines:
        if line.strip().startswith("display_name:"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{indent}display_name: "{value}"')
            replaced = True
        else:
            out.append(line)
    assert replaced, "example spec has no display_name"
    return "\n".join(out) + "\n"
