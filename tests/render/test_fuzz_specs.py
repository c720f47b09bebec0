"""Adversarial specs (issue 12): a bounded hypothesis fuzzer over the example specs, and the hostile
string list over every free-text field on both clouds.

For every case: the spec is refused (SpecError: exit 2) or rendered (exit 0); anything else
(a crash: exit 3) fails. Every rendered blueprint carries every tag/label and the display name
exactly as given (the literal in the file is exactly the HCL escape of the value: the escaping
itself is checked against Terraform in test_escape.py), its README shows them exactly, and
all rendered .tf files together pass one real `terraform fmt -check` (which also parses them).
"""

from __future__ import annotations

import copy
import hashlib
import html
import re
import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from dsaas_infra.errors import SpecError
from dsaas_infra.render import render_blueprint
from dsaas_infra.render.escape import hcl_string
from dsaas_infra.render.hcl_value import hcl_key
from dsaas_infra.spec.loader import load_spec_text
from tests.conftest import example_specs
from tests.hostile import HOSTILE

EXAMPLES = {p.stem: yaml.safe_load(p.read_text()) for p in example_specs()}
IDENTIFYING = ("client", "environment", "owner", "maturity", "managed-by")
_MD = MarkdownIt("commonmark").enable("table")


class Outputs:
    """The .tf files of every rendered case (deduplicated), checked with one `terraform fmt`."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.rendered = 0
        self.refused = 0

    def add(self, files: dict[str, bytes]) -> None:
        self.rendered += 1
        for name, content in files.items():
            if name.endswith(".tf"):
                self.files[f"{hashlib.sha256(content).hexdigest()[:16]}-{name.replace('/', '_')}"] = content

    def check_fmt(self, root: Path, terraform_bin: str, terraform_env: dict[str, str]) -> None:
        root.mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            (root / name).write_bytes(content)
        result = subprocess.run([terraform_bin, "fmt", "-check", "-list=true", "-no-color", str(root)],
                                capture_output=True, text=True, env=terraform_env, timeout=300)
        assert result.returncode == 0, f"not fmt-clean or not parseable:\n{result.stdout}{result.stderr}"


def _raw_map(value) -> dict[str, str]:
    """python-hcl2's view of an object: keys and values as written in the file."""
    return {k: v for k, v in value.items() if not k.startswith("__")}


def _expected_raw(mapping: dict[str, str]) -> dict[str, str]:
    return {hcl_key(k): hcl_string(v) for k, v in mapping.items()}


def check_case(data: dict, outputs: Outputs) -> None:
    """Exit 0 or 2 only; an exit-0 output holds every tag/label and the display name exactly."""
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False) if isinstance(data, dict) else data
    try:
        spec = load_spec_text(text, "fuzz.yaml")
    except SpecError as e:
        assert e.lines() and all(line.startswith("fuzz.yaml") for line in e.lines()), e.lines()
        outputs.refused += 1
        return
    files = render_blueprint(spec)
    outputs.add(files)
    c = spec.client
    display = c.display_name or c.name
    if spec.cloud == "aws":
        providers = hcl2.loads(files["providers.tf"].decode())
        aws = [p['"aws"'] for p in providers["provider"] if '"aws"' in p]
        want = _expected_raw({**c.tags, **{k: _identifying(spec, k) for k in IDENTIFYING}})
        assert aws, "no aws provider found: nothing would be checked"
        for provider in aws:
            assert _raw_map(provider["default_tags"][0]["tags"]) == want
        main = hcl2.loads(files["main.tf"].decode())
        assert main["locals"][0]["display_name"] == hcl_string(display)
        _check_readme(files["README.md"].decode(), display, {**c.tags})
    else:
        labels = {k.lower(): v.lower() for k, v in c.tags.items()}
        labels.update({k: _identifying(spec, k, gcp=True) for k in IDENTIFYING})
        main = hcl2.loads(files["main.tf"].decode())
        assert _raw_map(main["locals"][0]["labels"]) == _expected_raw(labels)
        providers = hcl2.loads(files["providers.tf"].decode())
        bodies = [body for provider in providers["provider"] for body in provider.values()]
        assert len(bodies) >= 2, "no google providers found: nothing would be checked"
        for body in bodies:
            assert _raw_map(body["default_labels"]) == _expected_raw(labels)
        _check_readme(files["README.md"].decode(), display, {})


def _identifying(spec, key: str, gcp: bool = False) -> str:
    c = spec.client
    value = {"client": c.name, "environment": c.environment, "owner": c.owner, "maturity": c.maturity,
             "managed-by": "dsaas-infra"}[key]
    if gcp and key == "owner":
        value = re.sub(r"[^a-z0-9_-]", "_", value.lower().replace("@", "_at_"))[:63]
    return value


def _check_readme(readme: str, display: str, tags: dict[str, str]) -> None:
    rendered = _MD.render(readme)
    heading = re.search(r"<h1>(.*?)</h1>", rendered, re.S).group(1)
    assert html.unescape(heading).startswith(f"{display.strip()}: DSaaS platform"), heading
    for key, value in tags.items():
        row = (f"<tr>\n<td>{html.escape(key.strip(), quote=False)}</td>\n"
               f"<td>{html.escape(value.strip(), quote=False)}</td>\n</tr>")
        assert html.unescape(row) in html.unescape(rendered), (key, value)
    for label in re.findall(r'subgraph client\["([^"\n]*)"\]', readme):
        assert re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label) == display


# --- the hostile list over every free-text field -------------------------------------------

def _set(data: dict, path: tuple, value) -> dict:
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        if isinstance(key, int):
            node = node[key]
        else:
            node = node.setdefault(key, {})
    if isinstance(path[-1], int):
        node[path[-1]] = value
    else:
        node[path[-1]] = value
    return data


AWS_NETWORK = {"vpc_id": "vpc-0123456789abcdef0",
               "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}
GCP_NETWORK = {"network": "projects/stark-dsaas-prod/global/networks/vpc",
               "subnetwork": "projects/stark-dsaas-prod/regions/us-central1/subnetworks/ml"}
COMMON_FIELDS = [
    ("client", "display_name"), ("client", "name"), ("client", "owner"), ("client", "tags", "KEY"),
    ("client", "tags", "team"), ("state", "bucket"), ("state", "prefix"),
    ("phases", "training", "users", 0), ("phases", "training", "instance_type"),
    ("phases", "deployment", "instance_type"), ("phases", "deployment", "variants", 0, "name"),
    ("phases", "deployment", "alert_emails", 0), ("phases", "access", "consumers", 0, "name"),
    ("phases", "data", "schedule"),
]
FIELDS = {
    "aws-managed": COMMON_FIELDS + [("state", "lock_table"), ("aws", "account_id"), ("aws", "region"),
                                    ("aws", "network", "vpc_id"), ("aws", "network", "subnet_ids", 0)],
    "gcp-managed": COMMON_FIELDS + [("gcp", "project_id"), ("gcp", "region"), ("gcp", "network", "network"),
                                    ("gcp", "network", "subnetwork"), ("gcp", "network", "pods_range_name")],
}


def hostile_cases(example: str, path: tuple):
    base = EXAMPLES[example]
    if path[:2] == ("aws", "network"):
        base = _set(base, ("aws", "network"), AWS_NETWORK)
    if path[:2] == ("gcp", "network"):
        base = _set(base, ("gcp", "network"), GCP_NETWORK)
    for value in HOSTILE:
        if path[-1] == "KEY":
            tags = dict(base["client"].get("tags") or {})
            tags[value] = "v"
            yield _set(base, ("client", "tags"), tags)
        else:
            yield _set(base, path, value)


@pytest.fixture(scope="module")
def hostile_outputs(tmp_path_factory, terraform_bin, terraform_env):
    outputs = Outputs()
    yield outputs
    outputs.check_fmt(tmp_path_factory.mktemp("hostile-fmt"), terraform_bin, terraform_env)


@pytest.mark.parametrize("example,path", [(e, p) for e, fields in FIELDS.items() for p in fields],
                         ids=lambda v: v if isinstance(v, str) else ".".join(map(str, v)))
def test_hostile_strings_in_every_free_text_field(example, path, hostile_outputs):
    for case in hostile_cases(example, path):
        check_case(case, hostile_outputs)


def test_hostile_outputs_are_fmt_clean(hostile_outputs, tmp_path, terraform_bin, terraform_env):
    """Runs after the field tests (same module fixture): the display name, at least, renders
    most of the list, so the fmt check below sees hostile text."""
    check_case(_set(EXAMPLES["aws-managed"], ("client", "display_name"), 'x"${y}%{z}\\'), hostile_outputs)
    assert hostile_outputs.rendered > 0
    hostile_outputs.check_fmt(tmp_path / "fmt", terraform_bin, terraform_env)


# --- the bounded fuzzer ----------------------------------------------------------------------

def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


# apiVersion last: hypothesis shrinks towards the first entries, and a spec without its
# apiVersion is refused before anything interesting is checked.
PATHS = sorted({p for data in EXAMPLES.values() for p in _paths(data)}
               | {("state", "lock_table"), ("client", "display_name"), ("phases", "deployment", "realtime"),
                  ("phases", "access", "waf"), ("phases", "deployment", "drift_detection")},
               key=lambda p: (p[0] == "apiVersion", repr(p)))
TAG_TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ019 _.:/=+-@\n\t\"'$%{}[]<>#|\\\u202e\u2028é")),
                   max_size=14)
# Tags and labels that mostly pass validation (so that rendering is exercised), now and then
# with a final newline (Python's $ matches before it) or characters no tag may hold.
TAG_OK = st.text(alphabet=st.sampled_from(list("abcXYZ019 _.:/=+-@\u00e9")), min_size=1, max_size=12)
LABEL_OK = st.from_regex(r"[a-z][a-z0-9_=-]{0,10}", fullmatch=True)
# A fuzzing dictionary: tag texts that once broke rendering, or nearly.
TAG_WORDS = st.sampled_from(["a=b", "x==y", "k = v", "=", "a =", "long-key-name=1", "a:b/c", "C@x+y.z",
                             "team", "Team", "caf\u00e9", " lead", "trail ", "a  b", "for", "null", "9x"])
TAGS = st.one_of(TAG_WORDS, TAG_WORDS, TAG_OK, TAG_OK, LABEL_OK, LABEL_OK, TAG_OK.map(lambda t: t + "\n"),
                 LABEL_OK.map(lambda t: t + "\n"), TAG_TEXT)
SCALARS = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=24), st.integers(-3, 10 ** 6),
                    st.booleans(), st.none(), st.floats(allow_nan=True), TAG_TEXT)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(TAG_TEXT, SCALARS, max_size=3))


def _same_type(value):
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(0, 2 * value + 2)
    if isinstance(value, str):
        return st.one_of(TAGS, st.just(value + "\n"), st.just(value.upper()), st.just(value[:-1]))
    return st.just(value)


@st.composite
def mutated_spec(draw):
    data = copy.deepcopy(EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))])
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["set", "set", "same-type", "delete", "tags", "tags", "tags", "display",
                                     "display", "unknown"]))
        path = {"tags": ("client", "tags"), "display": ("client", "display_name")}.get(kind) \
            or draw(st.sampled_from(PATHS))
        try:
            parent = data
            for key in path[:-1]:
                parent = parent[key]
            if kind == "tags":
                parent[path[-1]] = draw(st.dictionaries(TAGS, TAGS, min_size=1, max_size=3))
            elif kind == "display":
                parent[path[-1]] = draw(st.one_of(
                    st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), max_size=40),
                    st.sampled_from(HOSTILE), st.text(max_size=40)))
            elif kind == "set":
                parent[path[-1]] = draw(VALUES)
            elif kind == "same-type":  # a plausible value: more cases get past validation
                old = parent[path[-1]]
                parent[path[-1]] = draw(_same_type(old))
            elif kind == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(TAG_TEXT)] = draw(SCALARS)
        except (KeyError, IndexError, TypeError):
            pass  # the path no longer exists after an earlier mutation
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if draw(st.integers(0, 9)) == 0:  # now and then, damage the YAML itself
        cut = draw(st.integers(0, len(text)))
        damage = draw(st.sampled_from(["", "\t", ": [", "&a *a", "!!python/object:os.system", "\x00"]))
        text = text[:cut] + damage + text[cut:]
    return text


def test_fuzz_mutated_example_specs(tmp_path, terraform_bin, terraform_env):
    outputs = Outputs()

    @settings(max_examples=400, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated_spec())
    def fuzz(text):
        check_case(text, outputs)

    fuzz()
    assert outputs.rendered > 10 and outputs.refused > 10, (outputs.rendered, outputs.refused)
    outputs.check_fmt(tmp_path / "fmt", terraform_bin, terraform_env)
