"""The manifest a successful `giving build` leaves for the next one (read by generator/uptodate.py).

It lists, by stat (modification and change time in nanoseconds, size, inode), everything a build reads
and everything it wrote:

- inputs: site.toml; content/ and static/ (files and folders, leaving out what fs.read_sources
  ignores: dot files, editor backups); the site's templates/ and themes/; the bundled themes and
  giving's own package files; the `[images] card_fonts` files; the site-packages folders (installing
  or removing a package changes their listing). Folders are listed too: adding, removing or renaming
  an entry changes a folder's times, so a new file is noticed without listing any folder. A path that
  does not exist is recorded as such (creating templates/ is a change);
- outputs: every file and folder in the output folder;
- when the first scheduled post comes due (from then on a build publishes it), the options, giving's
  version and the Python running it, and the findings and summary the build printed.

The inputs are stat'd before the build reads them (`Snapshot`), so a file saved while the build runs
is newer than its entry and the next build sees it. Racy entries are handled as git does: a file
modified in the same file-system timestamp tick in which it was looked at could change again without
its stat changing, so each stat pass (`settled`) waits for the tick to pass and looks again; inputs
still that recent (coarse timestamps) mean no manifest, outputs are recorded with a hash of the bytes
written, which the replay checks. A symlink or special file anywhere means no manifest. The normal path
removes the manifest before it starts (`forget`), so a failed build leaves none and an error is never
hidden behind an old success.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import time

from generator.uptodate import FORMAT, code_id, manifest_path

IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".bak")  # as fs.read_sources ignores them
PACKAGE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT_THEMES = os.path.join(os.path.dirname(PACKAGE), "themes")  # theme.CHECKOUT
WAIT_FOR_TICK = 0.05  # seconds to wait for the timestamp tick to pass before giving up (coarse clocks)


class Doubt(Exception):
    """Something a stat cannot vouch for (a symlink, a special file): no manifest."""


def forget(site: str) -> None:
    """Remove the manifest: the build about to run decides anew, and a failed one leaves none."""
    try:
        os.unlink(manifest_path(site))
    except OSError:
        pass


def _sig(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def sig_of(path: str) -> tuple[int, int, int, int] | None:
    try:
        return _sig(os.lstat(path))
    except FileNotFoundError:
        return None


def walk(top: str, into: list, skip_ignored: bool = False, code: bool = False) -> None:
    """Append (path, stat) for `top` and every folder and regular file under it (None if `top` does
    not exist). `skip_ignored` leaves out what fs.read_sources ignores; __pycache__ is always left out.
    With `code`, Python package folders themselves are not listed, only their files: writing bytecode
    (or anything else kept in __pycache__) changes a package folder's times, and a module that appears
    matters only once a module that is listed imports it."""
    try:
        st = os.lstat(top)
    except FileNotFoundError:
        into.append((top, None))
        return
    if os.path.islink(top) or not os.path.isdir(top):
        raise Doubt(f"not a folder: {top}")
    if not (code and os.path.isfile(os.path.join(top, "__init__.py"))):
        into.append((top, _sig(st)))
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                name = entry.name
                if entry.is_symlink():
                    raise Doubt(f"symlink {entry.path}")
                if entry.is_dir(follow_symlinks=False):
                    if name == "__pycache__" or (skip_ignored and name.startswith(".")):
                        continue
                    if not (code and os.path.isfile(os.path.join(entry.path, "__init__.py"))):
                        into.append((entry.path, _sig(entry.stat(follow_symlinks=False))))
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    if skip_ignored and (name.startswith((".", "#")) or name.endswith(IGNORED_SUFFIXES)):
                        continue
                    into.append((entry.path, _sig(entry.stat(follow_symlinks=False))))
                else:
                    raise Doubt(f"special file {entry.path}")


def file(path: str, into: list) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        into.append((path, None))
        return
    if os.path.islink(path) or not os.path.isfile(path):
        raise Doubt(f"not a regular file: {path}")
    into.append((path, _sig(st)))


def inputs(site: str, fonts: tuple[str, ...] = ()) -> list:
    """Everything a build of `site` reads, by stat (see the module's docstring)."""
    site = os.path.realpath(site)
    found: list = []
    file(os.path.join(site, "site.toml"), found)
    for top in ("content", "static"):
        walk(os.path.join(site, top), found, skip_ignored=True)
    for top in ("templates", "themes"):
        walk(os.path.join(site, top), found)
    walk(PACKAGE, found, code=True)
    walk(CHECKOUT_THEMES, found)
    for rel in fonts:
        file(os.path.join(site, rel), found)
    for entry in sys.path:
        if entry.endswith("-packages") and os.path.isdir(entry):
            found.append((entry, _sig(os.stat(entry))))
    return found


def outputs(out: str) -> list:
    found: list = []
    walk(os.path.realpath(out), found)
    return found


def _probe(folder: str) -> int:
    """The file system's clock now: the modification time of a file written at this moment."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f".probe-{os.getpid()}")
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        os.write(fd, b"x")
        return os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)
        os.unlink(path)


def _racy(found: list, tick: int) -> list[str]:
    return [path for path, sig in found if sig is not None and max(sig[0], sig[1]) >= tick]


def settled(take, folder: str, attempts: int = 3) -> tuple[list, list[str]]:
    """`take()` (a stat pass) once none of its entries is racy, i.e. changed in the tick in which it
    was looked at: waits (up to `WAIT_FOR_TICK`) for the file system's clock to move past that tick and
    looks again, a few times. Returns the stat and the paths still racy then (on a file system with
    coarse timestamps). The wait is counted from the end of a pass, not its start: a pass over
    thousands of files on a busy machine can take longer than the tick."""
    for _ in range(attempts):
        tick = _probe(folder)
        found = take()
        racy = _racy(found, tick)
        if not racy:
            return found, racy
        deadline = time.monotonic() + WAIT_FOR_TICK
        while _probe(folder) <= tick and time.monotonic() < deadline:
            time.sleep(0.002)
    return found, racy


class Fresh:
    """The stat of a fresh output folder, taken in its staging folder just before `fs.write_output`
    renames it into place (`stat_fresh`), so that `record` need not walk the output folder.

    The staging folder is private (made by `tempfile.mkdtemp`, mode 0700 until just before the rename)
    and holds exactly what the build wrote there: the outputs, the marker and their folders, so its
    listing is known without reading a folder. Renaming a folder changes its own change time and
    nothing of what is inside it (rename(2) updates the moved inode alone; tests/test_uptodate_fresh.py
    checks this), so these stats are those of the output folder's entries afterwards, taken before
    anyone else could touch them. Only the top folder is looked at again, after the rename: its
    modification time must not have moved (nothing was added or removed in it meanwhile)."""

    def __init__(self, out: str, top: tuple, entries: list, racy: list[str]):
        self.out, self.top, self.entries, self.racy = out, top, entries, racy


def stat_fresh(staging: str, out: str, rels, folder: str, attempts: int = 3) -> Fresh | None:
    """The stat of the staging folder `staging`, which holds exactly the files `rels` (relative paths)
    and their folders and is about to become `out`; entries are named by their path under `out`.
    Racy entries (changed in the tick in which they were looked at) are looked at again once the tick
    has passed, as `settled` does; those still racy are in `racy`. None at any doubt (something that is
    not what was written): then `record` walks the output folder instead."""
    out = os.path.realpath(out)
    folders: set[str] = set()
    for rel in rels:
        parent = rel.rpartition("/")[0]
        while parent and parent not in folders:
            folders.add(parent)
            parent = parent.rpartition("/")[0]
    kinds = [("", True), *((f, True) for f in sorted(folders)), *((r, False) for r in rels)]
    lstat, isdir, isreg = os.lstat, stat.S_ISDIR, stat.S_ISREG
    sigs: list = [None] * len(kinds)
    todo = range(len(kinds))
    racy: list[int] = []
    try:
        for _ in range(attempts):
            tick = _probe(folder)
            racy = []
            for n in todo:
                rel, is_folder = kinds[n]
                st = lstat(f"{staging}/{rel}" if rel else staging)
                if not (isdir(st.st_mode) if is_folder else isreg(st.st_mode)):
                    return None
                sigs[n] = sig = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
                if sig[0] >= tick or sig[1] >= tick:
                    racy.append(n)
            if not racy:
                break
            # Nobody else writes in the staging folder: only the racy entries need a second look.
            deadline = time.monotonic() + WAIT_FOR_TICK
            while _probe(folder) <= tick and time.monotonic() < deadline:
                time.sleep(0.002)
            todo = racy
    except OSError:
        return None
    names = [f"{out}/{rel}" if rel else out for rel, _ in kinds]
    return Fresh(out, sigs[0], list(zip(names[1:], sigs[1:])), [names[n] for n in racy])


def _fresh_listing(fresh: Fresh, folder: str, attempts: int = 3) -> tuple[list, list[str]] | None:
    """`fresh` completed with the output folder's own stat now that it is in place, or None if that
    folder changed otherwise than by the rename (then the folder is walked)."""
    if fresh.out in fresh.racy:
        return None  # its modification time could not tell an entry added since
    for _ in range(attempts):
        tick = _probe(folder)
        sig = sig_of(fresh.out)
        if sig is None or (sig[0], sig[2], sig[3]) != (fresh.top[0], fresh.top[2], fresh.top[3]):
            return None
        if sig[1] < tick:
            return [(fresh.out, sig), *fresh.entries], fresh.racy
        deadline = time.monotonic() + WAIT_FOR_TICK
        while _probe(folder) <= tick and time.monotonic() < deadline:
            time.sleep(0.002)
    return None


class Snapshot:
    """The inputs' stat, taken before the build reads anything; `found` is None if there is a doubt."""

    def __init__(self, site: str):
        self.site = site
        self.found: list | None = None
        self.why = ""
        try:
            if not os.path.isfile(os.path.join(site, "site.toml")):
                raise Doubt("no site.toml")  # the build fails; nothing is created here
            found, racy = settled(lambda: inputs(site), os.path.dirname(manifest_path(site)))
            if racy:
                raise Doubt(f"changing as the build starts: {racy[:3]}")
            self.found = found
        except (Doubt, OSError) as exc:
            self.why = str(exc)


def record(snapshot: Snapshot, out: str, options: tuple[bool, bool, bool], version: str, written, findings: list,
           pages: int, due: float | None, questions: bool, fonts: tuple[str, ...] = (), stamp: str | None = None,
           fresh: Fresh | None = None) -> bool:
    """Write the manifest of a build that succeeded and whose output folder `out` now holds `written`
    (relative path -> bytes); `findings` are (severity, text) as printed. False if there is a doubt
    (or the site has reader questions, whose findings change by the day). Best effort, never fatal.
    `fresh` is the stat `fs.write_output` took of a fresh output folder before renaming it into place
    (see `Fresh`); without it (or if it cannot vouch for the folder) the output folder is walked."""
    if snapshot.found is None or questions:
        return False
    site = snapshot.site
    folder = os.path.dirname(manifest_path(site))
    try:
        found = list(snapshot.found)
        if fonts:  # known once the config is read; the build read them at its start
            more: list = []
            for rel in fonts:
                file(os.path.join(os.path.realpath(site), rel), more)
            if _racy(more, _probe(folder)):
                return False
            found += more
        known = _fresh_listing(fresh, folder) if fresh is not None and fresh.out == os.path.realpath(out) else None
        listing, racy = known or settled(lambda: outputs(out), folder)
        hashes = []
        if racy:
            import hashlib

            root = os.path.realpath(out)
            for path in racy:
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                if rel not in written:
                    return False  # a folder, or our marker
                hashes.append((path, hashlib.sha256(written[rel]).hexdigest()))
        manifest = {
            "format": FORMAT, "code": code_id(version), "options": list(options), "fonts": list(fonts),
            "site": os.path.realpath(site), "out": os.path.realpath(out), "inputs": found, "outputs": listing,
            "hashes": hashes, "due": due, "findings": [list(f) for f in findings], "pages": pages,
            "files": len(written), "stamp": stamp,
        }
        write_manifest(site, manifest)
        return True
    except (Doubt, OSError, ValueError):
        return False


def write_manifest(site: str, manifest: dict) -> None:
    path = manifest_path(site)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(marshal.dumps(manifest))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
