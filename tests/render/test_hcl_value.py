"""HCL escaping: hostile strings stay data, whatever they contain."""

import dataclasses
import subprocess

import hcl2
import pytest

from dsaas_infra.render.hcl_value import hcl_key, hcl_string, hcl_value, markdown_text

HOSTILE = [
    'a "quoted" value',
    "back\\slash\\",
    "${file(\"/etc/passwd\")}",
    "%{ for x in range(3) }boom%{ endfor }",
    "line one\nline two\r\n\ttabbed",
    '"\n}\nresource "null_resource" "evil" {\n',
    "$${already}",
    "%%{also}",
    "trailing $",
    "trailing %",
    "unicode é ü 東京 \u2028 sep",
    "\x00\x1b[31mcontrol\x7f",
    "$",
    "${",
    "\\${",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_string_literal_has_no_live_template_sequences(value):
    literal = hcl_string(value)
    assert literal.startswith('"') and literal.endswith('"')
    body = literal[1:-1]
    assert "\n" not in body and "\r" not in body
    assert "${" not in body and "%{" not in body, body


@pytest.mark.parametrize("value", HOSTILE)
def test_python_hcl2_parses_every_literal(value):
    """The validator's parser must accept whatever the renderer writes."""
    doc = hcl2.loads(f"x = {hcl_string(value)}\ny = 1\n")
    assert doc["y"] == 1


def test_terraform_reads_back_exactly_the_value(tmp_path, terraform_bin, terraform_env):
    """The real HCL parser: every hostile value round-trips through an output unchanged."""
    lines = [f"output \"v{i}\" {{\n  value = {hcl_string(v)}\n}}\n" for i, v in enumerate(HOSTILE)]
    (tmp_path / "main.tf").write_text("".join(lines))
    subprocess.run(
        [terraform_bin, "init", "-input=false", "-backend=false"],
        cwd=tmp_path, env=terraform_env, check=True, capture_output=True,
    )
    result = subprocess.run(
        [terraform_bin, "apply", "-input=false", "-auto-approve", "-lock=false"],
        cwd=tmp_path, env=terraform_env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    import json

    out = subprocess.run(
        [terraform_bin, "output", "-json"], cwd=tmp_path, env=terraform_env,
        check=True, capture_output=True, text=True,
    ).stdout
    values = json.loads(out)
    assert len(values) == len(HOSTILE)
    for i, v in enumerate(HOSTILE):
        assert values[f"v{i}"]["value"] == v


def test_keys_are_bare_only_when_identifiers():
    assert hcl_key("cost_center") == "cost_center"
    assert hcl_key("cost-center") == "cost-center"
    assert hcl_key("a b") == '"a b"'
    assert hcl_key("true") == '"true"'
    assert hcl_key("${x}") == '"\\u0024{x}"'


def test_values():
    assert hcl_value(None) == "null"
    assert hcl_value(True) == "true"
    assert hcl_value(3) == "3"
    assert hcl_value(2.0) == "2"
    assert hcl_value(0.5) == "0.5"
    assert hcl_value(["a", 1]) == '["a", 1]'
    assert hcl_value({}) == "{}"
    assert hcl_value({"a": "x", "b c": 1}) == '{\n  a = "x"\n  "b c" = 1\n}'
    with pytest.raises(TypeError):
        hcl_value(object())


def test_a_dataclass_is_the_map_of_its_fields_in_field_order():
    @dataclasses.dataclass(frozen=True)
    class Key:
        name: str
        purpose: str | None

    assert hcl_value({"k": Key(name="n", purpose=None)}) == '{\n  k = {\n    name = "n"\n    purpose = null\n  }\n}'
    assert hcl_value(Key(name="n", purpose="p")) == hcl_value({"name": "n", "purpose": "p"})
    with pytest.raises(TypeError):
        hcl_value(Key)  # the class itself is no value


def test_markdown_text_neutralises_markup():
    assert markdown_text("<script>*x*</script>") == "\\<script\\>\\*x\\*\\</script\\>"
    assert "\n" not in markdown_text("a\nb")
