"""What the build cache remembers between builds, how it is keyed, and when it may be trusted.

The cache lives in `.giving-cache/` (fs.py does its file I/O; images.py keeps its own content-addressed
entries there through `fs.Cache`). This module owns the build state beside them: parsed posts, each
post's check findings, the site-wide checks, and the outputs of the last build. Every entry is keyed by
what produced it, never by time:

- a parsed file by its path and bytes, the site.toml text and the generator's code (`code_key`);
- a post's check findings by that file key plus what assembly changed (URL, resolved HTML);
- the outputs by all of the above for every post, plus the theme's files and the site's assets.

A key that matches can only come from the same inputs, so a hit is always what a clean build would
produce. Anything wrong with the state file (missing, truncated, another format or version, not a
pickle at all) makes a cold cache, never an error. The file is written by this generator for this site;
like the site's own files, whoever can write it can run code, so it is never read from elsewhere.
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import io
import operator
import pickle
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, Callable, Iterable

from generator import errors, model

FORMAT = 4  # bump when the shape of the state changes
MAGIC = b"giving-build-state\n"
STATE_FILE = "build/state-{site}.pickle"
OUTPUTS_FILE = "build/outputs-{site}.pickle"
QUICK_FILE = "build/quick-{site}.pickle"
TABLES = ("parsed", "checked", "site_checked")


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))  # length-prefixed, so ("ab", "c") != ("a", "bc")
        h.update(data)
    return h.hexdigest()


# -- pickling ----------------------------------------------------------------------------------------------
# Posts cross process boundaries (the parse pool) and land in the state file. Mapping proxies cannot be
# pickled by default, and slotted dataclasses pickle through a slow generic path; these reducers fix both.

def _proxy(items: dict) -> MappingProxyType:
    return MappingProxyType(items)


def _register(cls: type) -> None:
    names = tuple(f.name for f in dataclasses.fields(cls))
    # attrgetter of two names or more gives the tuple of their values, built in C: a third of the time
    # of a generator of getattr calls (a post pickles ~40 of these objects: passages, headings, links).
    values = operator.attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)
    copyreg.pickle(cls, lambda obj: (cls, values(obj)))


copyreg.pickle(MappingProxyType, lambda proxy: (_proxy, (dict(proxy),)))
for _cls in (model.Post, model.Passage, model.Heading, model.Link, model.ImageRef, model.OgImage,
             errors.Location, errors.Finding):
    _register(_cls)


def register(cls: type) -> None:
    """Pickle the frozen dataclass `cls` by its fields, as the classes above (`checks.registry.CheckFinding`
    is registered by `parallel.early_checks`, which imports the checks: this module does not)."""
    if cls not in copyreg.dispatch_table:
        _register(cls)


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def pack_parsed(result: tuple) -> bytes:
    """A parse result `(post or None, findings)` as the bytes the state keeps: two pickles one after the
    other, the post without its passages (with the findings), then the passages. The passages (prose
    for the checks, about half of a post) are read only by those who need them (`unpack_parsed`)."""
    post, problems = result
    if post is None:
        return dumps(result) + dumps(())
    return dumps((model.with_fields(post, passages=()), problems)) + dumps(post.passages)


def unpack_parsed(blob: bytes, light: bool = False) -> tuple:
    """The parse result `pack_parsed` made, whole; or, `light`, with the post's passages left out."""
    if light:
        return pickle.loads(blob)  # the first pickle; the bytes after it are ignored
    stream = io.BytesIO(blob)
    post, problems = pickle.load(stream)
    passages = pickle.load(stream)
    return (model.with_fields(post, passages=passages) if post is not None else None), problems


# -- keys --------------------------------------------------------------------------------------------------

def code_key(version: str, code: Iterable[bytes]) -> str:
    """The generator's identity: its version and the bytes of its modules, so an upgrade or a local edit
    to the generator invalidates everything it might have computed differently."""
    return digest(str(FORMAT), version, *code)


def parse_key(code: str, config_text: str) -> str:
    """Everything besides the file itself that a parse depends on."""
    return digest(code, config_text)


def file_key(parse: str, path: str, sha256: bytes) -> str:
    """A source file: its path and the SHA-256 of its bytes (hashed once per build, see `build.build`)."""
    return digest(parse, path, sha256)


def post_key(file: str, post: model.Post) -> str:
    """A post after assembly and images: its file key plus every field a later stage may have set.

    The fields left out (passages, toc, links, images, lines, comments, checks) are set by parse alone,
    so the file key already covers them; the rest is cheap to hash."""
    og = post.og_image
    return digest(file, post.url, post.html, post.summary_html, post.title, post.description, post.slug,
                  repr((post.date, post.updated, post.draft, post.tags, post.series, post.series_order,
                        post.aliases, post.image, post.image_alt, post.words, post.reading_minutes,
                        og and (og.url, og.width, og.height, og.alt))))


def site_key(parse: str, site: model.Site, post_keys: dict[str, str], extra: Iterable[bytes | str] = ()) -> str:
    """The whole assembled site: every post's key in order, the lists built from them, the assets."""
    parts: list[bytes | str] = [parse, "posts", *(post_keys[p.source] for p in site.posts),
                                "pages", *(post_keys[p.source] for p in site.pages),
                                dumps((site.tags, site.series, site.redirects, site.questions,
                                       sorted((k, tuple(v)) for k, v in site.questions_by_post.items())))]
    for path in sorted(site.assets):
        parts += [path, hashlib.sha256(site.assets[path]).digest()]
    return digest(*parts, *extra)


def theme_key(files: Iterable[tuple[str, bytes]]) -> str:
    """Templates and static files of the theme chain (and the site's own templates/)."""
    return digest(*(part for name, data in files for part in (name, data)))


# -- the state -------------------------------------------------------------------------------------------

@dataclass
class BuildState:
    """What one build leaves for the next. Values are pickled bytes, unpickled only when used, so a
    build that changes one post never pays to load the other thousands."""

    code: str = ""
    # Entries are pickled bytes when read from the file, values when made by this build (pickled only
    # as the file is written, one at a time, so a cold build never holds two copies of every post).
    parsed: dict[str, Any] = field(default_factory=dict)  # file key -> (Post | None, findings)
    checked: dict[str, Any] = field(default_factory=dict)  # post key -> findings of that post
    site_checked: dict[str, Any] = field(default_factory=dict)  # site key -> site-wide findings
    outputs_key: str = ""  # the render key of the outputs file saved beside this state
    # The last good build whole: (key of every input, pickled findings, when its first scheduled post
    # comes due, whether it has reader questions), so an unchanged site costs a read and a compare.
    # Saved in its own small file (`dump_quick`).
    quick: tuple[str, bytes, datetime | None, bool] = ("", b"", None, False)
    hits: int = 0  # how many entries this build reused (tests and the CLI read it)

    def get(self, table: str, key: str) -> Any | None:
        value = getattr(self, table).get(key)
        if value is None:
            return None
        if isinstance(value, bytes):  # read from the state file: unpickled only now that it is used
            try:
                value = unpack_parsed(value) if table == "parsed" else pickle.loads(value)
            except Exception:  # noqa: BLE001 - a damaged entry is a miss
                getattr(self, table).pop(key, None)
                return None
        self.hits += 1
        return value


def state_names(site_root: Path) -> tuple[str, str, str]:
    """File names (state, outputs, quick), per site: tests and CI share one cache folder among sites."""
    site = digest(str(site_root.resolve()))[:16]
    return STATE_FILE.format(site=site), OUTPUTS_FILE.format(site=site), QUICK_FILE.format(site=site)


def load_quick(blob: bytes | None, code: str) -> tuple[tuple, str]:
    """The whole-build entry and the outputs key it goes with, kept apart from the (large) state so an
    unchanged site never loads the state at all."""
    empty = (("", b"", None, False), "")
    if not blob or not blob.startswith(MAGIC):
        return empty
    try:
        stored_code, quick, outputs_key = pickle.loads(blob[len(MAGIC):])
        if stored_code != code or not _valid_quick(quick) or not isinstance(outputs_key, str):
            return empty
        return quick, outputs_key
    except Exception:  # noqa: BLE001
        return empty


def dump_quick(state: BuildState) -> bytes:
    return MAGIC + dumps((state.code, state.quick, state.outputs_key))


def _valid_quick(quick: Any) -> bool:
    return (isinstance(quick, tuple) and len(quick) == 4 and isinstance(quick[0], str)
            and isinstance(quick[1], bytes) and (quick[2] is None or isinstance(quick[2], datetime)))


def load_state(stream: BinaryIO | None, code: str) -> BuildState:
    """The state in `stream` if it is whole and was written by this very generator; else an empty one.

    The file is a header, then one (table, key, pickled value) record per entry, then None."""
    if stream is None:
        return BuildState(code)
    try:
        if stream.read(len(MAGIC)) != MAGIC:
            return BuildState(code)
        reader = pickle.Unpickler(stream)
        header = reader.load()
        if not isinstance(header, dict) or header.get("code") != code or not isinstance(header.get("outputs_key"), str):
            return BuildState(code)
        state = BuildState(code, outputs_key=header["outputs_key"])
        while (record := reader.load()) is not None:
            table, key, value = record
            if table not in TABLES or not isinstance(key, str) or not isinstance(value, bytes):
                return BuildState(code)
            getattr(state, table)[key] = value
        return state
    except Exception:  # noqa: BLE001 - truncated, foreign or damaged: start cold
        return BuildState(code)


def dump_state(state: BuildState) -> Callable[[BinaryIO], None]:
    """A writer of the state, for `fs.write_cache_file`."""
    def write(fh: BinaryIO) -> None:
        write_state_head(state, fh)
        write_state_rest(state, fh)
    return write


def write_state_head(state: BuildState, fh: BinaryIO, tables: Iterable[str] = ()) -> None:
    """The header and the records of `tables`; the build writes the parsed files this way as soon as
    they are known, so their pickled bytes need not stay in memory until the build ends."""
    fh.write(MAGIC)
    pickle.dump({"code": state.code, "outputs_key": state.outputs_key}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    _write_tables(state, fh, tables)


def write_state_rest(state: BuildState, fh: BinaryIO, tables: Iterable[str] = TABLES) -> None:
    """The records of `tables` and the end of the state."""
    _write_tables(state, fh, tables)
    pickle.dump(None, fh)


def write_record(fh: BinaryIO, table: str, key: str, value: bytes) -> None:
    """One entry of the state, written as soon as the build has it (see `parallel.parse_all`)."""
    pickle.dump((table, key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)


def _write_tables(state: BuildState, fh: BinaryIO, tables: Iterable[str]) -> None:
    for table in tables:
        for key, value in getattr(state, table).items():
            if not isinstance(value, bytes):
                value = pack_parsed(value) if table == "parsed" else dumps(value)
            pickle.dump((table, key, value), fh,
                        protocol=pickle.HIGHEST_PROTOCOL)


def load_outputs(stream: BinaryIO | None, key: str) -> tuple[dict[str, bytes], tuple] | None:
    """The outputs and render findings saved under `key`, or None."""
    if not key or stream is None:
        return None
    try:
        if stream.read(len(MAGIC)) != MAGIC:
            return None
        stored_key, outputs, findings = pickle.load(stream)
        if stored_key != key or not isinstance(outputs, dict):
            return None
        if not all(isinstance(k, str) and isinstance(v, bytes) for k, v in outputs.items()):
            return None
        return outputs, tuple(findings)
    except Exception:  # noqa: BLE001
        return None


def dump_outputs(key: str, outputs: dict[str, bytes], findings: Iterable) -> Callable[[BinaryIO], None]:
    def write(fh: BinaryIO) -> None:
        fh.write(MAGIC)
        pickle.dump((key, outputs, tuple(findings)), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return write
