"""Write a rendered blueprint to disk atomically, guarding files edited by hand."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dsaas_infra import __version__
from dsaas_infra.errors import OperationError, OutputConflictError
from dsaas_infra.render.manifest import (
    BASE_DIR,
    MANIFEST,
    WORK_DIR,
    Manifest,
    base_name,
    inside,
    manifest_bytes,
    read_base,
    read_manifest,
    read_manifest_data,
    sha,
    spec_reference,
    symlink_in,
)

__all__ = ["BASE_DIR", "MANIFEST", "WORK_DIR", "Manifest", "WriteResult", "base_name", "check_paths",
           "check_writable", "manifest_bytes", "read_base", "read_manifest", "read_manifest_data",
           "spec_reference", "write_blueprint"]

STAGING_PREFIX = ".dsaas-staging-"
# What a folder may hold before the first render into it (Terraform's, ours, a fresh git repository).
_ADOPTABLE = {".terraform", WORK_DIR, ".terraform.lock.hcl", ".git"}
# The client's own slot: Terraform override files and custom.tf; no render writes or merges them.
OVERRIDE_SLOT = re.compile(r"(^|/)(custom\.tf|custom\.tf\.json|override\.tf|override\.tf\.json|"
                           r"[^/]*_override\.tf|[^/]*_override\.tf\.json)$")


@dataclass
class WriteResult:
    out_dir: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def check_paths(out_dir: Path, names: set[str] | list[str]) -> None:
    """Refuse (exit 2) if any of ``names`` would be written or deleted through a symlink,
    or would resolve outside ``out_dir``."""
    if not out_dir.is_dir():
        return
    root = out_dir.resolve()
    links: set[str] = set()
    outside: list[str] = []
    for name in sorted({*names, WORK_DIR}):
        link = symlink_in(out_dir, name)
        if link is not None:
            links.add(link)
            continue
        target = (root / name).resolve()
        if target != root and root not in target.parents:
            outside.append(name)
    if links:
        raise OutputConflictError(
            f"{out_dir}: refusing to write or delete through symlinks inside the blueprint: "
            f"{', '.join(sorted(links))} (replace them by plain folders or files)"
        )
    if outside:
        raise OutputConflictError(f"{out_dir}: paths resolve outside the blueprint: {', '.join(outside)}")


def _tool_dirs() -> tuple[set[Path], set[Path]]:
    """(folders --out may never be, folders --out may never be in): /, the home folder and the
    tool's own repository root; the installed package and its templates."""
    import dsaas_infra

    package = Path(dsaas_infra.__file__).resolve().parent
    exact = {Path("/"), package.parent}
    try:
        exact.add(Path.home().resolve())
    except (RuntimeError, KeyError, OSError):
        pass
    within = {package, (package / "templates").resolve()}
    return exact, within


def check_out_dir(out_dir: Path) -> None:
    """Refuse an output folder that must never be rendered into (even with --force)."""
    try:
        target = out_dir.resolve()
    except (RuntimeError, OSError) as e:  # a symlink loop
        raise OutputConflictError(f"{out_dir}: cannot resolve the output folder ({e})") from e
    exact, within = _tool_dirs()
    if target in exact:
        raise OutputConflictError(
            f"{out_dir}: refusing to render into {target} (the file system root, the home folder "
            "or dsaas-infra's own folder); choose a folder of its own, e.g. build/<client>-<env>"
        )
    for folder in within:
        if target == folder or folder in target.parents:
            raise OutputConflictError(
                f"{out_dir}: refusing to render into dsaas-infra's installed package or templates "
                f"({folder}); choose a folder of its own"
            )


def _foreign_files(out_dir: Path) -> list[str]:
    """Entries of an existing folder without a manifest that no render could have made."""
    return sorted(
        p.name for p in out_dir.iterdir()
        if p.name not in _ADOPTABLE and not p.name.startswith(STAGING_PREFIX)
    )


def clean_stale_staging(out_dir: Path) -> list[Path]:
    """Remove staging folders left by a render that was killed (its process is gone): the
    ``.dsaas-staging-PID-*`` folders inside ``out_dir`` and ``.NAME.tmp-PID-*`` next to it."""
    removed = []
    candidates: list[Path] = []
    if out_dir.is_dir() and not out_dir.is_symlink():
        candidates += [p for p in out_dir.iterdir() if p.name.startswith(STAGING_PREFIX)]
    if out_dir.parent.is_dir():
        prefix = f".{out_dir.name}.tmp-"
        candidates += [p for p in out_dir.parent.iterdir() if p.name.startswith(prefix)]
    for path in candidates:
        if path.is_symlink() or not path.is_dir():
            continue
        if _owner_alive(path.name):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _owner_alive(name: str) -> bool:
    """Whether the render that made a staging folder (its pid is in the name) still runs."""
    m = re.search(r"(?:staging|tmp)-(\d+)-", name)
    if m is None:
        return False  # an old-style name: no render of this version is using it
    pid = int(m.group(1))
    if pid == os.getpid():
        return True  # another thread of this process (a parallel render)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def hand_edits(out_dir: Path, previous: dict[str, str], files: dict[str, bytes]) -> list[str]:
    """Files whose content differs from what the last render wrote (edited by hand),
    plus files the new render would overwrite that no render ever wrote."""
    conflicts = []
    for name in sorted(set(previous) | set(files)):
        path = out_dir / name
        if not path.is_file():
            continue
        current = sha(path.read_bytes())
        if name in previous:
            if current != previous[name]:
                conflicts.append(name)
        elif name in files and current != sha(files[name]):
            conflicts.append(name)
    return conflicts


def check_writable(files: dict[str, bytes], out_dir: Path, force: bool,
                   also: frozenset[str] | set[str] = frozenset()) -> dict[str, str]:
    """Raise OutputConflictError if ``files`` (and the paths ``also``: dsaas-infra's own) may not
    be written to ``out_dir``; return the previous render's manifest. Lets a batch check every
    target before writing any."""
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputConflictError(f"{out_dir}: exists and is not a directory")
    if out_dir.is_dir():
        # The manifest itself is read through no symlink either.
        check_paths(out_dir, [MANIFEST])
    previous = read_manifest(out_dir) if out_dir.is_dir() else {}
    check_paths(out_dir, {*previous, *files, *also})
    if out_dir.is_dir() and not previous and not force:
        foreign = _foreign_files(out_dir)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise OutputConflictError(
                f"{out_dir}: not empty and not rendered by dsaas-infra (holds {shown}); "
                "choose a new or empty folder, or use --force to render into it"
            )
    if not force:
        conflicts = hand_edits(out_dir, previous, files)
        if conflicts:
            raise OutputConflictError(
                f"{out_dir}: refusing to overwrite files changed since the last render: "
                f"{', '.join(conflicts)} (`dsaas-infra upgrade {out_dir}` merges your edits; --force overwrites them)"
            )
    return previous


def check_rendered_names(files: dict[str, bytes] | set[str]) -> None:
    """A render never writes into the client's slot or dsaas-infra's own folder (a template bug)."""
    bad = sorted(name for name in files if OVERRIDE_SLOT.search(name) or name.split("/")[0] == WORK_DIR)
    if bad:
        raise OperationError(f"a template renders {', '.join(bad)}: reserved for the client's own edits "
                             "or dsaas-infra's folder (a bug in dsaas-infra)")


def write_blueprint(files: dict[str, bytes], out_dir: Path, force: bool = False, *,
                    pristine: dict[str, bytes] | None = None, remove: set[str] | None = None,
                    spec_path: Path | None = None, version: str = __version__) -> WriteResult:
    """Write ``files`` under ``out_dir`` (see _write); file system errors become OperationError.

    ``pristine`` is the render itself when ``files`` holds merged content (upgrade): the manifest
    and the base record the render, the disk gets ``files``. ``remove`` overrides which files of
    the last render are removed (default: every one this render no longer has).
    """
    try:
        return _write(files, Path(out_dir), force, pristine if pristine is not None else files, remove,
                      spec_reference(Path(out_dir), spec_path), version)
    except OSError as e:
        where = e.filename if e.filename else out_dir
        raise OperationError(f"cannot write the blueprint to {out_dir}: {e.strerror or e} ({where})") from e


def _write(files: dict[str, bytes], out_dir: Path, force: bool, pristine: dict[str, bytes],
           remove: set[str] | None, spec: str | None, version: str) -> WriteResult:
    """Write ``files`` under ``out_dir``; never leave a half-written blueprint behind.

    All new content is first written and flushed into a staging folder next to the files;
    only then are the files moved into place by renames, and the manifest last. Files the
    previous render wrote and this one does not are removed. Files that nobody rendered
    (``.terraform/``, plan files) are left alone. The pristine render goes to ``.dsaas/base/``
    after the files and before the manifest: an interrupted write leaves a base the merge
    can still use (an old base with new files merges to the new files).
    """
    unsafe = sorted(name for name in {*files, *pristine} if not inside(name))
    if unsafe:
        raise OutputConflictError(f"{out_dir}: refusing to write files outside the blueprint: {', '.join(unsafe)}")
    check_rendered_names({*files, *pristine})
    bases = {base_name(name): content for name, content in pristine.items()}
    previous = check_writable(files, out_dir, force, also=set(bases))
    # Only files the last render wrote are ever removed.
    remove = set(previous) - set(files) if remove is None else set(remove) & set(previous)
    stale_bases = {base_name(name) for name in set(previous) - set(pristine)}
    check_paths(out_dir, stale_bases)
    result = WriteResult(out_dir=out_dir)
    all_files = {**files, **bases, MANIFEST: manifest_bytes(pristine, spec, version)}
    clean_stale_staging(out_dir)
    if not out_dir.exists():
        _write_new(all_files, out_dir)
        result.written = sorted(files)
        return result
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out_dir))
    try:
        to_move = []
        for name, content in all_files.items():
            target = out_dir / name
            if target.is_file() and target.read_bytes() == content:
                if name in files:
                    result.unchanged.append(name)
                continue
            staged = staging / name
            staged.parent.mkdir(parents=True, exist_ok=True)
            with open(staged, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            to_move.append(name)
        # Manifest last: an interrupted move leaves files whose hashes the old manifest
        # does not match, which the next render reports instead of silently trusting.
        to_move.sort(key=lambda n: (n == MANIFEST, n in bases))
        for name in to_move:
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
            if name in files:
                result.written.append(name)
        for name in sorted(remove):
            stale = out_dir / name
            if stale.is_file():
                stale.unlink()
                result.removed.append(name)
        for name in sorted(stale_bases):
            stale = out_dir / name
            if stale.is_file():
                stale.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _write_new(all_files: dict[str, bytes], out_dir: Path) -> None:
    """A new blueprint appears whole: written into a sibling folder, then renamed."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-{os.getpid()}-", dir=out_dir.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        for name, content in all_files.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
