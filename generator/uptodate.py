"""`giving build` when nothing changed: compare a stat of every input and output with the manifest.

generator/cli.py calls `replay(argv)` before click, Jinja or anything else is imported. If the last
successful build of this site with the same options left a manifest (generator/manifest.py writes it)
and every file and folder it lists still has the same modification time, change time, size and inode
(a folder's times change when an entry is added, removed or renamed in it), the output folder already
holds what a build would write: the last build's findings and summary are printed again, and the build
is over without reading any input. Any doubt (no manifest, another format or option, a scheduled post
come due, any difference) leaves the decision to the normal build. Only built-in modules are used.
"""

import marshal
import os
import sys
import time

FORMAT = 2
MANIFEST = "build/uptodate-{site}.marshal"
CACHE_ENV = "GIVING_CACHE_DIR"  # as generator/fs.py: the cache folder is .giving-cache/ in the site otherwise
FLAGS = ("--drafts", "--future", "--strict")
COLOURS = {"error": "31", "warning": "33", "info": "34"}  # click.secho's red, yellow and blue


def parse_argv(argv):
    """(site, out or None, (drafts, future, strict)) of a plain `build`, or None for anything else
    (other commands, --no-cache, --help, unknown or repeated options: click decides those)."""
    if not argv or argv[0] != "build":
        return None
    values, flags, args = {}, set(), iter(argv[1:])
    for arg in args:
        name, eq, value = arg.partition("=")
        if name in ("--site", "--out"):
            value = value if eq else next(args, None)
            if not value or value.startswith("-") or name in values:
                return None
            values[name] = value
        elif arg in FLAGS and arg not in flags:
            flags.add(arg)
        else:
            return None
    return values.get("--site", "."), values.get("--out"), tuple(f in flags for f in FLAGS)


def manifest_path(site):
    """Per site (tests and CI share one cache folder): named by an FNV-1a hash of its real path."""
    h = 0xcbf29ce484222325
    for byte in os.path.realpath(site).encode("utf-8", "surrogateescape"):
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    root = os.environ.get(CACHE_ENV) or os.path.join(site, ".giving-cache")
    return os.path.join(root, MANIFEST.format(site=f"{h:016x}"))


def display(path):
    """`str(Path(path))`, as the normal build prints it, without importing pathlib."""
    lead = "//" if path.startswith("//") and not path.startswith("///") else "/" if path.startswith("/") else ""
    return lead + "/".join(p for p in path.split("/") if p and p != ".") or "."


def same(entries):
    """Does every (path, stat) entry still hold? A stat of None means the path must not exist."""
    lstat = os.lstat
    for path, sig in entries:
        try:
            st = lstat(path)
        except OSError:
            if sig is None:
                continue
            return False
        if sig is None or (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino) != sig:
            return False
    return True


def code_id(version):
    return [version, sys.version, sys.executable]


def hashes_hold(hashes):
    """Outputs written in the tick in which they were looked at: their bytes decide."""
    if hashes:
        import hashlib

        for path, expected in hashes:
            with open(path, "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != expected:
                    return False
    return True


def check(site, out, options, version):
    """The manifest, if the output folder is up to date with it; else None."""
    try:
        with open(manifest_path(site), "rb") as fh:
            manifest = marshal.loads(fh.read())  # marshal.load(fh) reads in many small pieces
        if (type(manifest) is not dict or manifest.get("format") != FORMAT
                or manifest["code"] != code_id(version)
                or manifest["options"] != list(options) or manifest["site"] != os.path.realpath(site)
                or manifest["out"] != os.path.realpath(out)):
            return None
        due = manifest["due"]
        if due is not None and time.time() >= due:  # a scheduled post has come due: a build publishes it
            return None
        if not same(manifest["inputs"]) or not same(manifest["outputs"]) or not hashes_hold(manifest["hashes"]):
            return None
        return manifest
    except Exception:  # noqa: BLE001 - missing, damaged, another format: the normal build decides
        return None


def replay(argv, version):
    """If `argv` is a build the manifest covers, print what that build printed and return True."""
    started = time.perf_counter()
    parsed = parse_argv(argv)
    if parsed is None:
        return False
    site, out, options = parsed
    out = out if out is not None else site + "/public"
    manifest = check(site, out, options, version)
    if manifest is None:
        return False
    findings = manifest["findings"]
    if findings:
        colour = sys.stderr.isatty()  # as click: colours on a terminal only
        sys.stderr.write("".join(f"\x1b[{COLOURS[s]}m{text}\x1b[0m\n" if colour else text + "\n"
                                 for s, text in findings))
        sys.stderr.flush()
    errors = sum(s == "error" for s, _ in findings)
    warnings = sum(s == "warning" for s, _ in findings)
    sys.stdout.write(f"Built {manifest['pages']} pages ({manifest['files']} files) into {display(out)} in "
                     f"{time.perf_counter() - started:.2f} s; {errors} error{'s' * (errors != 1)}, "
                     f"{warnings} warning{'s' * (warnings != 1)}.\n")
    sys.stdout.flush()
    return True
