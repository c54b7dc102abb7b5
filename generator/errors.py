"""Errors as data: `Location`, `Finding`, and the one formatter used by the terminal and the browser.

A build never raises on bad content; it collects `Finding`s so the author sees every problem at once.
`BuildFailed` carries them out of the pipeline when errors make output impossible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file; paths are relative to the site root, posix style."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in the site: a build error, or an editorial warning from a check."""

    severity: Severity
    message: str
    location: Location
    rule: str

    def format(self) -> str:
        """Compiler style: `content/posts/ego.md:3: error: date "x" is not a date; ... [front-matter]`."""
        return f"{self.location}: {self.severity}: {self.message} [{self.rule}]"

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.col, SEVERITY_RANK[self.severity], self.rule, self.message)


def error(message: str, path: str, line: int = 0, rule: str = "build", col: int = 0) -> Finding:
    return Finding("error", message, Location(path, line, col), rule)


def warning(message: str, path: str, line: int = 0, rule: str = "build", col: int = 0) -> Finding:
    return Finding("warning", message, Location(path, line, col), rule)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(set(findings), key=Finding.sort_key)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


class GivingError(Exception):
    """Base of every error the generator raises on purpose; carries findings to the CLI or server."""

    def __init__(self, findings: Iterable[Finding]):
        self.findings = sorted_findings(findings)
        super().__init__("\n".join(f.format() for f in self.findings))


class BuildFailed(GivingError):
    """The site has errors; nothing was written."""


class UnsafeOutput(GivingError):
    """The output folder would destroy something the author wrote."""
