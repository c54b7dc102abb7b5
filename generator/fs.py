"""All file I/O of a build: reading the site, writing the output folder safely, the cache folder.

New output is written in full beside the output folder before anything in it changes, so a failed write
leaves the previous output intact; then a fresh folder is renamed into place, or an existing one gets
only its changed files renamed in (see `write_output`). The build refuses an output folder that would
destroy anything the author wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO, Callable, Collection, Mapping, TypeVar

from generator.errors import UnsafeOutput, error
from generator.model import SourceFile

T = TypeVar("T")
MARKER = ".giving-output"  # marks a folder as ours to replace
SOURCE_DIRS = ("content", "static")
_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".bak")


def read_sources(site_root: Path) -> list[SourceFile]:
    """Every file under content/ and static/, as bytes, in a stable order (that of sorted `rglob`: by
    path, folders and files alike). Walked with `os.scandir`, which costs a fraction of `Path.rglob` and
    a `stat` per file."""
    files = []
    root = str(site_root)
    for top in SOURCE_DIRS:
        if not os.path.isdir(os.path.join(root, top)):
            continue
        found: list[tuple[tuple[str, ...], str]] = []
        _walk(os.path.join(root, top), (top,), found)
        found.sort()
        for parts, path in found:
            files.append(SourceFile("/".join(parts), _read(path)))
    return files


def _read(path: str) -> bytes:
    """A file's bytes, without the file object `open` makes (that halves the time of reading a small file)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20 if chunks else 1 << 16):
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def _walk(folder: str, parts: tuple[str, ...], found: list[tuple[tuple[str, ...], str]], sources: bool = True) -> None:
    """The files under `folder` as `Path.rglob` finds them (symlinked files followed, symlinked folders
    not entered, unreadable folders passed over), as (path parts, path). For `read_sources` (`sources`),
    without hidden files, anything inside a hidden folder, or editor and backup files (`~`, `.swp`,
    `.swx`, `.tmp`, `.bak`, `#...`); for `read_tree`, without `__pycache__` alone."""
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except PermissionError:
        return
    for entry in entries:
        name = entry.name
        if name.startswith(".") if sources else name == "__pycache__":
            continue
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, (*parts, name), found, sources)
        elif (not sources or not name.endswith(_IGNORED_SUFFIXES) and not name.startswith("#")) and entry.is_file():
            found.append(((*parts, name), entry.path))


def read_tree(folders: list[Path], suffixes: tuple[str, ...] = ()) -> list[tuple[str, bytes]]:
    """(path, bytes) of every file under `folders` (optionally only these suffixes), in a stable order;
    what the build cache hashes to notice a changed theme or generator. The files and order of sorted
    `Path.rglob("*")` (symlinked files followed, symlinked folders not entered, __pycache__ left out),
    walked with `os.scandir` (rglob and its Path objects took ~10 ms of every build)."""
    files = []
    for n, folder in enumerate(folders):
        if folder.is_dir():
            found: list[tuple[tuple[str, ...], str]] = []
            _walk(str(folder), (), found, sources=False)
            found.sort()
            for parts, path in found:
                if not suffixes or os.path.splitext(parts[-1])[1] in suffixes:
                    files.append((f"{n}:{'/'.join(parts)}", _read(path)))
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


def stage_output(out: Path, site_root: Path) -> tuple[str, int | None] | None:
    """A staging folder for a fresh output folder (`out` does not exist yet), made beside it as
    `write_output` would make it, for files written before the build ends (render workers write their
    pages into it: see `parallel.render_all`); None when `out` exists, cannot be made, or would be refused.
    Pass it to `write_output` (`staged`), or remove it with `discard_stage`."""
    try:
        check_output_dir(out, site_root)
        out = out.resolve()
        if out.exists() or not out.parent.is_dir():  # a failed build creates no folders
            return None
        staging = tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent)
    except (UnsafeOutput, OSError):
        return None
    return staging, _spread_hint(staging)


def discard_stage(stage: tuple[str, int | None] | None) -> None:
    if stage is not None:
        shutil.rmtree(stage[0], ignore_errors=True)


def write_output(out: Path, outputs: Mapping[str, bytes], site_root: Path,
                 staged: tuple[tuple[str, int | None], Collection[str]] | None = None,
                 fresh: list | None = None) -> int:
    """Make `out` hold exactly `outputs` (relative path -> bytes); returns how many files were written.

    Every new or changed file is first written in full to a staging folder beside `out`; if that fails,
    `out` is left exactly as it was. A fresh output folder is then renamed into place whole. An existing
    one of ours is updated file by file: each changed file is renamed over the old one (readers see the
    old or the new file, never half of one), files no longer produced are removed, and unchanged files are
    not touched at all, since rewriting and deleting thousands of small files and folders costs seconds
    on ordinary disks. Ctrl-C and SIGTERM wait until the renames are done; only a hard kill or a
    crash during them can leave a mix of old and new whole files, which the next build puts right.

    `staged` is a staging folder from `stage_output` and the outputs already written in it (with exactly
    these bytes); it is used if `out` is still to be made whole, and removed in any case.

    If `fresh` is a list and the folder is made whole, the stat of its staging folder, taken just
    before the rename (`manifest.stat_fresh`, for the up-to-date manifest), is appended to it.
    """
    try:
        check_output_dir(out, site_root)
        out = out.resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        previous = _listing(out) if (out / MARKER).is_file() else None
        whole = previous is None or None in previous.values() or \
            _conflicts(out, [r for r in outputs if r not in previous])
        if whole and staged is not None and not out.exists():
            (folder, flags), done = staged
            staged = None
            return _replace_whole(out, outputs, folder, flags, done, site_root, fresh)
    finally:
        if staged is not None:
            discard_stage(staged[0])
    if whole:
        return _replace_whole(out, outputs, site_root=site_root, fresh=fresh)
    changed = [rel for rel, data in outputs.items()
               if previous.get(rel) != len(data) or not _same(out / rel, data)]
    removed = sorted(previous.keys() - outputs.keys())
    if not changed and not removed:
        return 0
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        write_files(str(staging), [(str(n), outputs[rel]) for n, rel in enumerate(changed)])
        with _uninterrupted():
            for n, rel in enumerate(changed):
                target = out / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / str(n), target)
            for rel in removed:
                (out / rel).unlink(missing_ok=True)
            for folder in sorted({(out / rel).parent for rel in removed}, key=lambda p: -len(p.parts)):
                while folder != out and folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
                    folder = folder.parent
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(changed)


@contextlib.contextmanager
def _uninterrupted():
    """Hold Ctrl-C and SIGTERM back for the renames (quick: every byte is already on disk), so an
    interrupted build leaves the old or the new output, not a mix; a held signal arrives afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal masks belong to the main thread; the preview server never writes output anyway
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _replace_whole(out: Path, outputs: Mapping[str, bytes], folder: str | None = None, flags: int | None = None,
                   done: Collection[str] = (), site_root: Path | None = None, fresh: list | None = None) -> int:
    """Fill a fresh folder (or the staging `folder`, which holds `done` already) and swap it in for
    `out` with two renames; `fresh` as `write_output` says."""
    staging = Path(folder or tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        if folder is None:
            flags = _spread_hint(str(staging))
        write_files(str(staging), [(rel, data) for rel, data in outputs.items() if rel not in done])
        if flags is not None:
            _set_flags(str(staging), flags)  # the folder goes in with the flags it was made with
        (staging / MARKER).write_text("Written by giving; replaced on every build.\n", "utf-8")
        os.chmod(staging, 0o755)
        if fresh is not None and site_root is not None:
            from generator import manifest

            found = manifest.stat_fresh(str(staging), str(out), [*outputs, MARKER],
                                        os.path.dirname(manifest.manifest_path(str(site_root))))
            if found is not None:
                fresh.append(found)
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
    return len(outputs)


_GETFLAGS, _SETFLAGS, _TOPDIR = 0x80086601, 0x40086602, 0x00020000  # linux/fs.h: FS_IOC_*FLAGS, FS_TOPDIR_FL
# The ioctls are declared with a long but the kernel reads and writes an int (as chattr passes one).


def _spread_hint(folder: str) -> int | None:
    """Mark a fresh staging folder as a top of a directory hierarchy for ext4's Orlov allocator (the
    `chattr +T` flag), so the folders made in it go to block groups of their own, and return the flags
    it had (None where the file system knows no such flag: then nothing changed).

    Without it they go to the group of the site folder, where the output folder just deleted (a
    `rm -rf public` before a build, or our own old output) left thousands of free inodes that ext4,
    without a journal, skips one by one for a few minutes after the deletion: creating the 1,144 files
    and 1,137 folders of a 1,000-post site took 1.9-2.2 s of kernel time there, 0.25 s with the hint.
    Only where new inodes come from changes; the flag is taken off again before the folder is renamed."""
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        import fcntl
        import struct

        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            flags = struct.unpack("i", fcntl.ioctl(fd, _GETFLAGS, struct.pack("i", 0)))[0]
            fcntl.ioctl(fd, _SETFLAGS, struct.pack("i", flags | _TOPDIR))
        finally:
            os.close(fd)
        return flags
    except (OSError, ImportError):  # not ext2/3/4 (EOPNOTSUPP, ENOTTY), or not allowed: no hint
        return None


def _set_flags(folder: str, flags: int) -> None:
    import fcntl
    import struct

    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.ioctl(fd, _SETFLAGS, struct.pack("i", flags))
        finally:
            os.close(fd)
    except OSError:
        pass


WRITERS = 4  # threads that write output files; the time goes to the kernel (mkdir, create, copy), GIL released


def write_files(root: str, files: list[tuple[str, bytes]]) -> None:
    """Write each (relative path, bytes) under `root`, creating folders as needed; the files are shared
    among a few threads in contiguous runs (so that a folder's files are mostly written by one thread),
    which on a disk where each new file and folder costs a fraction of a millisecond of kernel time
    halves the time on two cores. Any error is raised once every thread has stopped."""
    count = min(WRITERS, os.cpu_count() or 1, len(files) // 64 + 1)
    if count < 2:
        _write_run(root, files)
        return
    size = -(-len(files) // count)
    errors: list[BaseException] = []

    def run(part: list[tuple[str, bytes]]) -> None:
        try:
            _write_run(root, part)
        except BaseException as exc:  # noqa: BLE001 - raised below, in this thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(files[i:i + size],)) for i in range(0, len(files), size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _write_run(root: str, files: list[tuple[str, bytes]]) -> None:
    made: set[str] = set()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    for rel, data in files:
        folder = rel.rpartition("/")[0]
        if folder and folder not in made:
            os.makedirs(os.path.join(root, folder), exist_ok=True)
            made.add(folder)
        fd = os.open(os.path.join(root, rel), flags, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)


def _conflicts(out: Path, new: list[str]) -> bool:
    """Would a new file need a path that is now a folder, or a folder where a file is? Then swap whole."""
    for rel in new:
        target = out / rel
        if target.is_dir() and not target.is_symlink():
            return True
        parent = target.parent
        while parent != out:
            if parent.exists() and not parent.is_dir():
                return True
            parent = parent.parent
    return False


def _listing(folder: Path) -> dict[str, int | None]:
    """Relative path -> size of the files under `folder` (our marker left out); None for a symlink."""
    found: dict[str, int | None] = {}
    stack = [("", str(folder))]
    while stack:
        prefix, path = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_symlink():
                    found[rel] = None
                elif entry.is_dir():
                    stack.append((rel + "/", entry.path))
                elif rel != MARKER:
                    found[rel] = entry.stat().st_size
    return found


def _same(path: Path, data: bytes) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read() == data
    except OSError:
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


def load_cache_file(site_root: Path, name: str, load: Callable[[BinaryIO], T]) -> T | None:
    """`load(file)` on a build-state file, streamed rather than read whole; None if it cannot be opened."""
    try:
        with (cache_root(site_root) / name).open("rb") as fh:
            return load(fh)
    except OSError:
        return None


def write_cache_file(site_root: Path, name: str, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Replace a build-state file atomically (a reader sees the old or the new file, never half of one).
    `data` is the bytes, or a function that writes them to a file (so large state is never copied whole
    in memory). Best effort: a read-only or full disk costs the next build its speed, never its result."""
    path = cache_root(site_root) / name
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data) if isinstance(data, bytes) else data(fh)
        os.replace(tmp, path)
    except OSError:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


class CacheWriter:
    """A build-state file written in parts, as a build learns them, then put in place whole (`commit`)
    or not at all. Best effort, like `write_cache_file`: any OSError drops the file and the build goes on."""

    def __init__(self, site_root: Path, name: str):
        self.path = cache_root(site_root) / name
        self.fh: BinaryIO | None = None
        self.tmp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}-", dir=self.path.parent)
            self.fh = os.fdopen(fd, "wb")
        except OSError:
            self.abort()

    def write(self, part: Callable[[BinaryIO], None]) -> None:
        if self.fh is None:
            return
        try:
            part(self.fh)
        except OSError:
            self.abort()

    def commit(self) -> None:
        if self.fh is None:
            return
        try:
            self.fh.close()
            self.fh = None
            os.replace(self.tmp, self.path)  # type: ignore[arg-type]
            self.tmp = None
        except OSError:
            self.abort()

    def abort(self) -> None:
        if self.fh is not None:
            try:
                self.fh.close()
            except OSError:
                pass
            self.fh = None
        if self.tmp:
            Path(self.tmp).unlink(missing_ok=True)
            self.tmp = None

    def __del__(self) -> None:  # a build that raised: no half-written state is left behind
        self.abort()


class Cache:
    """A content-addressed folder of entries, each a few named blobs: `get(key)` / `put(key, blobs)`.

    Best effort: an entry that cannot be read or written is a miss, never an error. Entries are written
    to a temporary folder and renamed into place, so a reader never sees half an entry.
    """

    def __init__(self, root: Path | None):
        self.root = root  # None: a cache that keeps nothing (a build with --no-cache)

    @classmethod
    def for_site(cls, site_root: Path, namespace: str) -> "Cache":
        return cls(cache_root(site_root) / namespace)

    def _dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str) -> dict[str, bytes] | None:
        if self.root is None:
            return None
        folder = self._dir(key)
        try:
            return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} or None
        except OSError:
            return None

    def put(self, key: str, blobs: Mapping[str, bytes]) -> None:
        if self.root is None:
            return
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


BUNDLED_TEMPLATES = Path(__file__).parent / "__pycache__"  # compiled templates of the bundled themes


def template_cache(site_root: Path, variant: str, bundled: tuple[Path, ...] = (), site_cache: bool = True):
    """A Jinja bytecode cache in the cache folder, so templates are compiled once, not on every build
    (and not again in every worker). Jinja checks each entry against its template's source and Python
    version; `variant` names the rest a compiled template depends on (Jinja's version and how giving sets
    up the environment: its filters' calling conventions are compiled in), so an upgrade never runs a
    template compiled for another setup. Like the rest of the cache it is best effort and never fatal.

    The templates of the themes that come with giving (under the folders `bundled`) are also kept beside
    giving's own bytecode, in `generator/__pycache__/jinja-<variant>/`: like Python's .pyc files they
    depend on the installed files alone, so a site's first build, with an empty cache folder, does not
    compile them again (some 65 ms). A read-only installation just goes without. With `site_cache` off
    (`--no-cache`) the site's cache folder is neither read nor written; the bundled store still is, as
    Python's bytecode still is."""
    import io

    import jinja2
    from jinja2.bccache import Bucket

    roots = tuple(os.path.join(os.path.realpath(p), "") for p in bundled)
    tag = hashlib.sha256(variant.encode()).hexdigest()[:16]
    shared = BUNDLED_TEMPLATES / f"jinja-{tag}"

    def load(bucket: Bucket, data: bytes) -> bool:
        try:
            bucket.load_bytecode(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - a damaged entry: compile the template again
            bucket.reset()
        return bucket.code is not None

    class TemplateCache(jinja2.BytecodeCache):
        def get_bucket(self, environment, name, filename, source) -> Bucket:
            bucket = Bucket(environment, self.get_cache_key(name, filename), self.get_source_checksum(source))
            bucket.bundled = bool(roots) and filename is not None and os.path.realpath(filename).startswith(roots)
            self.load_bytecode(bucket)
            return bucket

        def load_bytecode(self, bucket: Bucket) -> None:
            data = read_cache_file(site_root, f"jinja/{tag}-{bucket.key}") if site_cache else None
            if data and load(bucket, data) or not getattr(bucket, "bundled", False):
                return
            try:
                data = (shared / bucket.key).read_bytes()
            except OSError:
                return
            if load(bucket, data) and site_cache:
                write_cache_file(site_root, f"jinja/{tag}-{bucket.key}", data)  # the site's cache has all it used

        def dump_bytecode(self, bucket: Bucket) -> None:
            if site_cache:
                write_cache_file(site_root, f"jinja/{tag}-{bucket.key}", bucket.write_bytecode)
            if getattr(bucket, "bundled", False):
                _write_atomic(shared / bucket.key, bucket.write_bytecode)

    return TemplateCache()


def _write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """`write(file)` into `path`, replaced whole (a reader never sees half a file); best effort."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except OSError:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
