"""All file I/O of a build: reading the site, and replacing the output folder atomically.

The output folder is built beside its destination and swapped in with renames, so a failed or
interrupted build leaves the previous output intact. The build refuses an output folder that would
destroy anything the author wrote.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

from generator.errors import UnsafeOutput, error
from generator.model import SourceFile

MARKER = ".giving-output"  # marks a folder as ours to replace
SOURCE_DIRS = ("content", "static")
_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".bak")


def _ignored(path: Path) -> bool:
    return any(part.startswith(".") for part in path.parts) or path.name.endswith(_IGNORED_SUFFIXES) \
        or path.name.startswith("#")


def read_sources(site_root: Path) -> list[SourceFile]:
    """Every file under content/ and static/, as bytes, in a stable order."""
    files = []
    for top in SOURCE_DIRS:
        base = site_root / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(site_root)
            if path.is_file() and not _ignored(rel):
                files.append(SourceFile(rel.as_posix(), path.read_bytes()))
    return files


def read_tree(folders: list[Path], suffixes: tuple[str, ...] = ()) -> list[tuple[str, bytes]]:
    """(path, bytes) of every file under `folders` (optionally only these suffixes), in a stable order;
    what the build cache hashes to notice a changed theme or generator."""
    files = []
    for n, folder in enumerate(folders):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and (not suffixes or path.suffix in suffixes) and "__pycache__" not in path.parts:
                    files.append((f"{n}:{path.relative_to(folder).as_posix()}", path.read_bytes()))
    return files


def check_output_dir(out: Path, site_root: Path) -> None:
    """Refuse destinations whose replacement would delete something that is not ours."""
    out, root = out.resolve(), site_root.resolve()
    protected = [Path("/"), Path.home().resolve(), root] + [root / d for d in
                                                           ("content", "static", "templates", "themes")]
    reason = None
    if out in protected or out in root.parents:
        reason = f"{out} holds your own files"
    elif any(p in out.parents for p in protected[3:]):
        reason = f"{out} is inside a source folder"
    elif out.exists() and not out.is_dir():
        reason = f"{out} is a file"
    elif out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        reason = f"{out} is not empty and was not written by giving"
    if reason:
        raise UnsafeOutput([error(f"refusing to replace the output folder: {reason}; choose another --out "
                                  "(or empty that folder yourself)", "site.toml", 0, "output")])


def write_output(out: Path, outputs: Mapping[str, bytes], site_root: Path) -> int:
    """Make `out` hold exactly `outputs` (relative path -> bytes); returns how many files were written.

    A fresh folder is filled beside `out` and swapped in, so a failed or interrupted write leaves the
    previous output intact. Files whose bytes have not changed are hard-linked from the previous output
    instead of rewritten (same inode, same mtime, so deploy tools see them unchanged), and when nothing
    changed at all the folder is left alone.
    """
    check_output_dir(out, site_root)
    out = out.resolve()
    previous = _listing(out) if (out / MARKER).is_file() else None
    if previous is not None and previous == set(outputs) and all(
            _same(out / rel, data) for rel, data in outputs.items()):
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    written = 0
    try:
        made: set[Path] = set()
        for rel, data in outputs.items():
            target = staging / rel
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if previous is not None and rel in previous and _same(out / rel, data) and _link(out / rel, target):
                continue
            target.write_bytes(data)
            written += 1
        (staging / MARKER).write_text("Written by giving; replaced on every build.\n", "utf-8")
        os.chmod(staging, 0o755)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rename(out, old / out.name)
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return written


def _listing(folder: Path) -> set[str]:
    """Relative paths of the regular files under `folder` (our marker left out); symlinks count as foreign."""
    found = set()
    for top, dirs, files in os.walk(folder):
        base = Path(top).relative_to(folder)
        for name in files:
            rel = (base / name).as_posix()
            if rel != MARKER:
                found.add(rel if not (Path(top) / name).is_symlink() else "\0" + rel)
    return found


def _same(path: Path, data: bytes) -> bool:
    try:
        return not path.is_symlink() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _link(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
        return True
    except OSError:  # a file system without hard links: write the bytes instead
        return False


# -- the build cache -------------------------------------------------------------------------------------
# One folder, `.giving-cache/` in the site root, holds everything a build may reuse: content-addressed
# entries (`Cache`, used by images.py) and the build state (parsed posts, check findings, the last
# outputs; see generator/cache.py, which decides what is stored and when it can be trusted). Deleting it
# is always safe: the next build is a cold one.

CACHE_DIR = ".giving-cache"  # in the site root; GIVING_CACHE_DIR overrides it (tests, CI)
CACHE_ENV = "GIVING_CACHE_DIR"


def cache_root(site_root: Path) -> Path:
    return Path(os.environ[CACHE_ENV]) if os.environ.get(CACHE_ENV) else site_root / CACHE_DIR


def read_cache_file(site_root: Path, name: str) -> bytes | None:
    """The bytes of a build-state file in the cache folder, or None if it cannot be read."""
    try:
        return (cache_root(site_root) / name).read_bytes()
    except OSError:
        return None


def write_cache_file(site_root: Path, name: str, data: bytes) -> None:
    """Replace a build-state file atomically (a reader sees the old or the new file, never half of one).

    Best effort: a read-only or full disk costs the next build its speed, never its result."""
    path = cache_root(site_root) / name
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


class Cache:
    """A content-addressed folder of entries, each a few named blobs: `get(key)` / `put(key, blobs)`.

    Best effort: an entry that cannot be read or written is a miss, never an error. Entries are written
    to a temporary folder and renamed into place, so a reader never sees half an entry.
    """

    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def for_site(cls, site_root: Path, namespace: str) -> "Cache":
        return cls(cache_root(site_root) / namespace)

    def _dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str) -> dict[str, bytes] | None:
        folder = self._dir(key)
        try:
            return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} or None
        except OSError:
            return None

    def put(self, key: str, blobs: Mapping[str, bytes]) -> None:
        folder = self._dir(key)
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=folder.parent))
            for name, data in blobs.items():
                (staging / name).write_bytes(data)
            os.rename(staging, folder)
        except OSError:  # read-only disk, or another build wrote the same entry first
            if "staging" in locals():
                shutil.rmtree(staging, ignore_errors=True)
