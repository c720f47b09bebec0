"""Upgrades from the test templates v1 to v2: clean merges, conflicts, dropped and added files, moves."""

from __future__ import annotations

import json

import pytest

from dsaas_infra.errors import OutputConflictError, UsageError
from dsaas_infra.render.manifest import MANIFEST
from dsaas_infra.render.writer import write_blueprint
from dsaas_infra.upgrade.changes import CONFLICT, KEPT, MERGED, REMOVED, apply_upgrade, plan_upgrade
from dsaas_infra.upgrade.report import as_json, headline, text_lines
from tests.upgrade.conftest import tree


def _upgrade(out, new, version="0.2.0"):
    up = plan_upgrade(out, new, version)
    apply_upgrade(up)
    return up


def _edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_every_render_keeps_its_base_and_version(tmp_path, v1):
    out = tmp_path / "bp"
    write_blueprint(v1, out, version="0.1.0")
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["version"] == "0.1.0" and manifest["base"] == ".dsaas/base"
    for name, content in v1.items():
        assert (out / ".dsaas" / "base" / name).read_bytes() == content


def test_without_hand_edits_an_upgrade_equals_a_fresh_render_byte_for_byte(tmp_path, v1, v2):
    out, fresh = tmp_path / "bp", tmp_path / "fresh"
    write_blueprint(v1, out, version="0.1.0")
    up = _upgrade(out, v2)
    write_blueprint(v2, fresh, version="0.2.0")
    moved = tree(out).pop("moved.tf")  # the rename of raw_bucket: the one addition (next test)
    upgraded = tree(out)
    upgraded.pop("moved.tf")
    assert upgraded == tree(fresh)
    assert not up.conflicts and b"moved {" in moved
    assert headline(up).endswith("from dsaas-infra 0.1.0 to 0.2.0")


def test_a_hand_edit_far_from_the_change_is_merged(tmp_path, v1, v2):
    out = tmp_path / "bp"
    write_blueprint(v1, out, version="0.1.0")
    _edit(out / "main.tf", '    owner = local.owner\n', '    owner = local.owner\n    team  = "ds" # hand edit\n')
    up = _upgrade(out, v2)
    assert not up.conflicts
    main = (out / "main.tf").read_text()
    assert 'team  = "ds" # hand edit' in main  # ours
    assert 'kms_alias   = "alias/${local.client}"' in main and "null_resource.data_raw.id" in main  # theirs
    assert [f.action for f in up.files if f.name == "main.tf"] == [MERGED]
    # The next base is the new render, not the merged file: the edit stays an edit.
    assert (out / ".dsaas/base/main.tf").read_bytes() == v2["main.tf"]
    again = plan_upgrade(out, v2, "0.2.0")
    assert not again.changed and not again.conflicts


def test_a_hand_edit_on_the_changed_lines_is_a_conflict_with_the_base_section(tmp_path, v1, v2):
    out = tmp_path / "bp"
    write_blueprint(v1, out, version="0.1.0")
    _edit(out / "main.tf", '  retention   = "30"\n', '  retention   = "365" # a year, ops\n')
    up = _upgrade(out, v2)
    [change] = up.conflicts
    assert change.name == "main.tf" and change.action == CONFLICT
    lines = (out / "main.tf").read_text().splitlines()
    [conflict] = change.conflicts
    assert lines[conflict.start_line - 1:conflict.end_line] == [
        "<<<<<<< ours", '  retention   = "365" # a year, ops',
        "||||||| base", '  retention   = "30"',
        "=======", '  retention   = "30"', '  kms_alias   = "alias/${local.client}"',
        ">>>>>>> dsaas-infra",
    ]
    report = "\n".join(text_lines(up))
    assert f"CONFLICT main.tf:{conflict.start_line}-{conflict.end_line}" in report
    data = json.loads(as_json([up], written=True))
    assert data["conflicts"] == 1
    assert data["blueprints"][0]["conflicts"] == [
        {"file": "main.tf", "start_line": conflict.start_line, "end_line": conflict.end_line}]
    # Unresolved, the markers are still reported by the next upgrade.
    assert plan_upgrade(out, v2, "0.2.0").conflicts
    # Resolved by hand: the next upgrade has nothing to do, and keeps the resolution.
    resolved = [line for line in lines[: conflict.start_line - 1]] + [
        '  retention   = "365" # a year, ops', '  kms_alias   = "alias/${local.client}"'] + lines[conflict.end_line:]
    (out / "main.tf").write_text("\n".join(resolved) + "\n")
    after = plan_upgrade(out, v2, "0.2.0")
    assert not after.conflicts and not after.changed


def test_dropped_files_are_removed_only_if_unedited_and_user_files_are_untouched(tmp_path, v1, v2):
    out = tmp_path / "bp"
    write_blueprint(v1, out, version="0.1.0")
    (out / "notes.md").write_text("# acme\n\nOur runbook lives here now.\n")
    user_files = {"custom.tf": 'resource "null_resource" "mine" {}\n',
                  "main_override.tf": 'resource "null_resource" "log_group" {\n  triggers = {}\n}\n',
                  "docs/runbook.md": "mine\n"}
    for name, text in user_files.items():
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_text(text)
    up = _upgrade(out, v2)
    actions = {f.name: f.action for f in up.files}
    assert actions["legacy.tf"] == REMOVED and not (out / "legacy.tf").exists()
    assert actions["notes.md"] == KEPT and "runbook" in (out / "notes.md").read_text()
    assert "kept" in "\n".join(text_lines(up))
    for name, text in user_files.items():
        assert (out / name).read_text() == text
        assert name not in actions
    assert (out / "alarms.tf").read_bytes() == v2["alarms.tf"]
    assert not (out / ".dsaas/base/legacy.tf").exists() and not (out / ".dsaas/base/notes.md").exists()
    # notes.md is the client's now: no later render or upgrade touches it.
    manifest = json.loads((out / MANIFEST).read_text())
    assert "notes.md" not in manifest["files"] and "legacy.tf" not in manifest["files"]


def test_check_mode_computes_without_writing(tmp_path, v1, v2):
    out = tmp_path / "bp"
    write_blueprint(v1, out, version="0.1.0")
    before = tree(out)
    up = plan_upgrade(out, v2, "0.2.0")
    assert {f.name for f in up.changed} == {"main.tf", "alarms.tf", "legacy.tf", "notes.md", "moved.tf"}
    assert tree(out) == before


def test_a_blueprint_rendered_before_bases_were_kept_conflicts_on_edited_files(tmp_path, v1, v2):
    out = tmp_path / "bp"
    write_blueprint(v1, out, version="0.1.0")
    manifest = json.loads((out / MANIFEST).read_text())
    for key in ("version", "base"):
        manifest.pop(key)
    (out / MANIFEST).write_text(json.dumps(manifest))
    import shutil
    shutil.rmtree(out / ".dsaas" / "base")
    _edit(out / "main.tf", "locals {\n", "# hand edit\nlocals {\n")
    up = _upgrade(out, v2)
    assert up.base_missing and up.from_version == "0.1.0"  # from the older "generator" key
    [change] = up.conflicts
    assert change.name == "main.tf"
    assert "||||||| base (unknown" in (out / "main.tf").read_text()
    # The unedited file without a base still upgrades: the manifest's hash says it is pristine.
    assert (out / "legacy.tf").exists() is False


def test_a_base_changed_by_hand_is_not_trusted(tmp_path, v1, v2):
    out = tmp_path / "bp"
    write_blueprint(v1, out, version="0.1.0")
    (out / ".dsaas/base/main.tf").write_text("tampered\n")
    _edit(out / "main.tf", "locals {\n", "# hand edit\nlocals {\n")
    up = plan_upgrade(out, v2, "0.2.0")
    assert [f.name for f in up.conflicts] == ["main.tf"]
    assert "||||||| base (unknown" in up.conflicts[0].after.decode()


def test_a_symlinked_base_folder_is_refused_and_nothing_outside_is_written(tmp_path, v1, v2):
    out, elsewhere = tmp_path / "bp", tmp_path / "elsewhere"
    write_blueprint(v1, out, version="0.1.0")
    elsewhere.mkdir()
    import shutil
    shutil.rmtree(out / ".dsaas" / "base")
    (out / ".dsaas" / "base").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputConflictError, match="symlink"):
        _upgrade(out, v2)
    assert list(elsewhere.iterdir()) == []


def test_a_folder_without_manifest_is_a_usage_error(tmp_path, v2):
    (tmp_path / "bp").mkdir()
    with pytest.raises(UsageError, match="not rendered by dsaas-infra"):
        plan_upgrade(tmp_path / "bp", v2, "0.2.0")
