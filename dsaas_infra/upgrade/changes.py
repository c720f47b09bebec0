"""What an upgrade (or a re-render) would do to each file of a blueprint, computed without writing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dsaas_infra.errors import UsageError
from dsaas_infra.render.manifest import MANIFEST, Manifest, read_base, read_manifest_data, sha
from dsaas_infra.render.writer import OVERRIDE_SLOT, check_out_dir, check_paths, write_blueprint
from dsaas_infra.upgrade.merge3 import Conflict, MergeResult, find_markers, merge2, merge3
from dsaas_infra.upgrade.moved import MOVED_FILE, Move, moved_file, renames

# What happens to a file; the ones in CHANGING change the disk.
ADDED, UPDATED, MERGED, CONFLICT, REMOVED, KEPT, UNCHANGED = (
    "added", "updated", "merged", "conflict", "removed", "kept", "unchanged")
CHANGING = {ADDED, UPDATED, MERGED, CONFLICT, REMOVED}


@dataclass
class FileChange:
    name: str
    action: str
    before: bytes | None  # on disk now
    after: bytes | None  # on disk after the upgrade (None: removed or left alone)
    conflicts: list[Conflict] = field(default_factory=list)
    note: str = ""

    @property
    def changes_disk(self) -> bool:
        return self.before != self.after and self.action in CHANGING


@dataclass
class Upgrade:
    """The upgrade of one blueprint directory, computed in memory."""

    dir: Path
    spec: Path | None
    from_version: str | None
    to_version: str
    pristine: dict[str, bytes]  # the new render: the next base and manifest
    files: list[FileChange] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    base_missing: bool = False  # rendered before bases were kept: edited files cannot merge

    @property
    def conflicts(self) -> list[FileChange]:
        return [f for f in self.files if f.conflicts]

    @property
    def changed(self) -> list[FileChange]:
        return [f for f in self.files if f.changes_disk]


def load_manifest(out_dir: Path) -> Manifest:
    """The manifest of a rendered blueprint, read through no symlink; exit 2 if there is none."""
    check_out_dir(out_dir)
    if not out_dir.is_dir():
        raise UsageError(f"{out_dir}: no such blueprint directory")
    check_paths(out_dir, [MANIFEST])
    manifest = read_manifest_data(out_dir)
    if manifest is None:
        raise UsageError(f"{out_dir}: not rendered by dsaas-infra (no {MANIFEST}); render it first")
    return manifest


def plan_upgrade(out_dir: Path, new: dict[str, bytes], to_version: str, spec: Path | None = None) -> Upgrade:
    """Merge, per file, base -> new render into base -> the file on disk."""
    manifest = load_manifest(out_dir)
    check_paths(out_dir, {*manifest.files, *new, MOVED_FILE})
    base = read_base(out_dir, manifest)
    up = Upgrade(out_dir, spec, manifest.version, to_version, new)
    up.base_missing = bool(manifest.files) and not base
    for name in sorted(set(manifest.files) | set(new)):
        path = out_dir / name
        disk = path.read_bytes() if path.is_file() else None
        if name in new:
            up.files.append(_merge_file(name, disk, base.get(name), manifest.files.get(name), new[name]))
        elif disk is None:
            continue
        elif sha(disk) == manifest.files[name]:
            up.files.append(FileChange(name, REMOVED, disk, None, note="no longer rendered"))
        else:
            up.files.append(FileChange(name, KEPT, disk, disk, note="no longer rendered, edited by hand: "
                                       "kept, and yours from now on"))
    # The last render as it was: its base, or its files on disk where they are still unedited.
    old = {c.name: c.before for c in up.files
           if c.before is not None and c.name in manifest.files and sha(c.before) == manifest.files[c.name]}
    old.update(base)
    if old:
        up.moves = renames(old, new)
        if up.moves:
            path = out_dir / MOVED_FILE
            existing = path.read_bytes() if path.is_file() else None
            content = moved_file(existing, up.moves)
            if content is not None:
                up.files.append(FileChange(MOVED_FILE, ADDED if existing is None else UPDATED, existing, content,
                                           note=f"{len(up.moves)} moved block(s)"))
    return up


def plan_render(out_dir: Path, new: dict[str, bytes], to_version: str, spec: Path | None = None) -> Upgrade:
    """What a plain re-render (`render`, no merge) would change: for `render --check` / `--diff`."""
    check_out_dir(out_dir)
    manifest = None
    if out_dir.is_dir():
        check_paths(out_dir, [MANIFEST])
        manifest = read_manifest_data(out_dir)
    recorded = manifest.files if manifest is not None else {}
    check_paths(out_dir, {*recorded, *new})
    up = Upgrade(out_dir, spec, manifest.version if manifest else None, to_version, new)
    for name in sorted(set(recorded) | set(new)):
        path = out_dir / name
        disk = path.read_bytes() if path.is_file() else None
        if name not in new:
            if disk is not None:
                up.files.append(FileChange(name, REMOVED, disk, None, note="no longer rendered"))
        elif disk is None:
            up.files.append(FileChange(name, ADDED, None, new[name]))
        elif disk == new[name]:
            up.files.append(FileChange(name, UNCHANGED, disk, disk))
        else:
            edited = name not in recorded or sha(disk) != recorded[name]
            up.files.append(FileChange(name, UPDATED, disk, new[name], note=(
                "edited by hand: render refuses it without --force; `dsaas-infra upgrade` merges" if edited else "")))
    return up


def _merge_file(name: str, disk: bytes | None, base: bytes | None, recorded: str | None,
                theirs: bytes) -> FileChange:
    if disk is None:
        return FileChange(name, ADDED, None, theirs, note="restored" if recorded else "")
    if disk == theirs:
        return FileChange(name, UNCHANGED, disk, disk)
    if recorded is not None and sha(disk) == recorded:
        return FileChange(name, UPDATED, disk, theirs)
    if OVERRIDE_SLOT.search(name):  # never rendered (writer refuses): defensive
        return FileChange(name, KEPT, disk, disk)
    try:
        ours_text, theirs_text = disk.decode("utf-8"), theirs.decode("utf-8")
        base_text = base.decode("utf-8") if base is not None else None
    except UnicodeDecodeError:
        return FileChange(name, CONFLICT, disk, disk, [Conflict(1, 1)],
                          note="binary file edited by hand and changed by the new render: yours kept")
    # Without a base (a file no render wrote in the way of a new one, or a render from before
    # bases were kept) every difference is a conflict.
    result: MergeResult = (merge3(base_text, ours_text, theirs_text) if base_text is not None
                           else merge2(ours_text, theirs_text))
    merged = result.text.encode("utf-8")
    conflicts = find_markers(result.text)
    if conflicts:
        note = "" if result.conflicts else "conflict markers left from an earlier merge: resolve them"
        return FileChange(name, CONFLICT, disk, merged, conflicts, note=note)
    return FileChange(name, MERGED if merged != theirs else UPDATED, disk, merged,
                      note="your edits kept" if merged != theirs else "")


def apply_upgrade(up: Upgrade) -> None:
    """Write the merged files (conflicts with their markers), the new base and manifest."""
    files = {f.name: f.after for f in up.files if f.name in up.pristine and f.after is not None}
    for f in up.files:
        if f.name not in up.pristine and f.after is not None and f.changes_disk:
            files[f.name] = f.after  # moved.tf: the client's from now on, not in the manifest
    remove = {f.name for f in up.files if f.action == REMOVED}
    write_blueprint(files, up.dir, force=True, pristine=up.pristine, remove=remove, spec_path=up.spec,
                    version=up.to_version)
