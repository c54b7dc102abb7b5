"""Serve a built site the way Netlify does, closely enough for browser checks.

- headers: `[[headers]]` of netlify.toml plus the publish folder's `_headers` file, matched by path
  (`*` is a splat, `:name` one segment), values of one header from several rules joined with ", ";
- pretty URLs: `/a/` serves `a/index.html`, `/a` redirects to `/a/` when that is a folder, `/a` serves
  `a.html` when it exists;
- `_redirects` (plain `from to [status][!]` lines): a rule applies when no file matches the path, or
  always when forced with `!` (Netlify's shadowing);
- a missing page gets `404.html` with status 404;
- POST to a page (a Netlify form's action) records the submission and serves that page, as Netlify does.
"""

from __future__ import annotations

import http.server
import mimetypes
import re
import threading
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class HeaderRule:
    pattern: str
    values: dict[str, str]

    def matches(self, path: str) -> bool:
        return bool(glob_regex(self.pattern).fullmatch(path))


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Netlify path patterns: `*` matches anything (also `/`), `:name` matches one path segment."""
    out = []
    for token in re.split(r"(\*|:[A-Za-z_]\w*)", pattern):
        if token == "*":
            out.append(".*")
        elif token.startswith(":"):
            out.append("[^/]+")
        else:
            out.append(re.escape(token))
    return re.compile("".join(out))


def toml_header_rules(netlify_toml: Path) -> list[HeaderRule]:
    data = tomllib.loads(netlify_toml.read_text("utf-8"))
    return [HeaderRule(h["for"], {str(k): str(v) for k, v in h.get("values", {}).items()})
            for h in data.get("headers", [])]


def file_header_rules(path: Path) -> list[HeaderRule]:
    """The `_headers` file format: a path line, then indented `Name: value` lines."""
    rules: list[HeaderRule] = []
    if not path.is_file():
        return rules
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append(HeaderRule(line.strip(), {}))
        elif rules and ":" in line:
            name, value = line.strip().split(":", 1)
            rules[-1].values[name.strip()] = value.strip()
    return rules


def redirect_rules(path: Path) -> dict[str, tuple[str, int, bool]]:
    rules: dict[str, tuple[str, int, bool]] = {}
    if path.is_file():
        for line in path.read_text("utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2 and not parts[0].startswith("#"):
                status = parts[2] if len(parts) > 2 else "301"
                rules[parts[0]] = (parts[1], int(status.rstrip("!")), status.endswith("!"))
    return rules


@dataclass
class NetlifyLikeServer:
    public: Path
    netlify_toml: Path | None = None
    submissions: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rules = (toml_header_rules(self.netlify_toml) if self.netlify_toml else []) + \
            file_header_rules(self.public / "_headers")
        self.redirects = redirect_rules(self.public / "_redirects")
        self._httpd: http.server.ThreadingHTTPServer | None = None

    def headers_for(self, path: str) -> dict[str, str]:
        merged: dict[str, str] = {}
        for rule in self.rules:
            if rule.matches(path):
                for name, value in rule.values.items():
                    merged[name] = f"{merged[name]}, {value}" if name in merged else value
        return merged

    def resolve(self, path: str) -> tuple[int, Path | None, str | None]:
        """(status, file to send, Location) for a request path."""
        found = self._file(path)
        rule = self.redirects.get(path)
        if rule and (rule[2] or found[0] == 404):
            return rule[1], None, rule[0]
        return found

    def _file(self, path: str) -> tuple[int, Path | None, str | None]:
        rel = path.lstrip("/")
        candidate = (self.public / rel).resolve()
        if not candidate.is_relative_to(self.public.resolve()) or \
                candidate.name in ("_headers", "_redirects"):
            return 404, self.public / "404.html", None
        if path.endswith("/") and (candidate / "index.html").is_file():
            return 200, candidate / "index.html", None
        if not path.endswith("/") and candidate.is_file():
            return 200, candidate, None
        if not path.endswith("/") and candidate.is_dir() and (candidate / "index.html").is_file():
            return 301, None, path + "/"
        if not path.endswith("/") and candidate.with_name(candidate.name + ".html").is_file():
            return 200, candidate.with_name(candidate.name + ".html"), None
        return 404, self.public / "404.html", None

    def start(self) -> str:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _respond(self, head_only: bool = False) -> None:
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                status, file, location = server.resolve(path)
                body = file.read_bytes() if file and file.is_file() else b""
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                kind = mimetypes.guess_type(file.name)[0] if file else None
                if file and file.suffix == ".html":
                    kind = "text/html; charset=utf-8"
                elif kind and (kind.startswith("text/") or kind.endswith(("+xml", "/json"))):
                    kind += "; charset=utf-8"
                self.send_header("Content-Type", kind or "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                for name, value in server.headers_for(path).items():
                    self.send_header(name, value)
                self.end_headers()
                if not head_only:
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self._respond()

            def do_HEAD(self) -> None:
                self._respond(head_only=True)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                server.submissions.append((path, data))
                self._respond()

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
