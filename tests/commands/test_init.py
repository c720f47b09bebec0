"""`dsaas-infra init` as a consultant uses it: flags, an answers file, or questions on a terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import yaml

from dsaas_infra.assess.questions import QUESTIONS
from dsaas_infra.commands.schema import SCHEMA_ID
from dsaas_infra.spec import load_spec

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dsaas_infra", *args], capture_output=True, text=True,
                          cwd=cwd, env=ENV, timeout=120, input=stdin)


def answers(level_index: int, cloud_index: int) -> dict[str, str]:
    return {q.key: q.choices[cloud_index if q.axis == "cloud" else level_index].key for q in QUESTIONS}


def test_answers_file_chooses_level_and_cloud_and_is_recorded_for_replay(tmp_path):
    (tmp_path / "answers.yaml").write_text(yaml.safe_dump(answers(2, 2)))
    result = run("init", "acme", "--answers", "answers.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Assessment: managed" in result.stderr and "Cloud advice: gcp" in result.stderr
    spec = load_spec(tmp_path / "acme.yaml")
    assert (spec.client.maturity, spec.cloud) == ("managed", "gcp")
    assert spec.assessment.answers == answers(2, 2)
    assert (spec.assessment.recommended_level, spec.assessment.recommended_cloud) == ("managed", "gcp")
    # Replay: the written spec is itself an answers file.
    again = run("init", "acme2", "--answers", "acme.yaml", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    replay = load_spec(tmp_path / "acme2.yaml")
    assert (replay.client.maturity, replay.cloud, replay.assessment.answers) == ("managed", "gcp", answers(2, 2))


def test_flags_override_the_assessment(tmp_path):
    (tmp_path / "answers.yaml").write_text(yaml.safe_dump({"answers": answers(0, 0)}))
    result = run("init", "acme", "--answers", "answers.yaml", "--maturity", "proactive", "--cloud", "gcp",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--maturity proactive overrides the assessment's reactive" in result.stderr
    assert "--cloud gcp overrides the advice" in result.stderr
    spec = load_spec(tmp_path / "acme.yaml")
    assert (spec.client.maturity, spec.cloud, spec.assessment.recommended_level) == ("proactive", "gcp", "reactive")


def test_starter_keeps_the_level_defaults_as_comments_and_names_its_schema(tmp_path):
    result = run("init", "acme", "--maturity", "managed", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "acme.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=dsaas-infra.schema.json"
    assert '    # schedule: "0 */6 * * *"  # ' in text  # shown, not set
    assert load_spec(tmp_path / "acme.yaml").phases.data.schedule == "0 */6 * * *"  # the managed default wins
    schema = json.loads((tmp_path / "dsaas-infra.schema.json").read_text())
    assert schema["$id"] == SCHEMA_ID
    assert schema["$defs"]["Client"]["properties"]["name"]["maxLength"] == 20
    # The estimate of this level and its neighbour is shown.
    assert "managed " in result.stderr and "proactive " in result.stderr and "(this spec)" in result.stderr


def test_a_schema_file_that_is_not_ours_is_left_alone(tmp_path):
    (tmp_path / "dsaas-infra.schema.json").write_text('{"mine": true}')
    assert run("init", "acme", cwd=tmp_path).returncode == 0
    assert (tmp_path / "dsaas-infra.schema.json").read_text() == '{"mine": true}'


def test_bad_answers_are_one_line_and_exit_2(tmp_path):
    (tmp_path / "answers.yaml").write_text(yaml.safe_dump({**answers(1, 1), "data_storage": "lots"}))
    result = run("init", "acme", "--answers", "answers.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: assessment: data_storage: 'lots' is not one of scattered, systems, consolidated"]
    assert not (tmp_path / "acme.yaml").exists()
    both = run("init", "acme", "--answers", "answers.yaml", "--assess", cwd=tmp_path)
    assert both.returncode == 2 and "not both" in both.stderr


def test_assess_without_a_terminal_says_use_answers(tmp_path):
    result = run("init", "acme", "--assess", cwd=tmp_path, stdin="")
    assert result.returncode == 2
    assert "without one use --answers FILE" in result.stderr


def test_assess_on_a_real_terminal(tmp_path):
    """The questions asked in a pseudo-terminal, answered by number (and once by key)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI on the terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "dsaas_infra", "init", "acme", "--assess"],
                  {**ENV, "COLUMNS": "100", "TERM": "dumb"})
    seen, answered = b"", 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        while seen.count(b"answer") > answered:
            # Every question: the most mature answer; the first one by its key instead of its number.
            os.write(fd, b"consolidated\r" if answered == 0 else b"3\r")
            answered += 1
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen.decode(errors="replace")[-2000:]
    assert answered == len(QUESTIONS)
    spec = load_spec(tmp_path / "acme.yaml")
    assert (spec.client.maturity, spec.cloud) == ("managed", "gcp")
    assert spec.assessment.answers == answers(2, 2)
