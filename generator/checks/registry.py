"""The rule registry: every editorial check, registered by id with its default severity and scope.

A check is a plain function. Post rules take `(post, settings)`, site rules `(site, settings)`; both
return or yield `CheckFinding`s built with `Rule.at`. Checks change nothing, so their order never matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal

from generator.errors import Finding, Location, Severity

Scope = Literal["post", "site"]


@dataclass(frozen=True, slots=True)
class CheckFinding(Finding):
    """A `Finding` from an editorial check, with machine-readable `data` (e.g. reader-focus counts)."""

    data: tuple[tuple[str, Any], ...] = ()

    def data_dict(self) -> dict[str, Any]:
        return dict(self.data)


@dataclass(frozen=True, slots=True)
class Rule:
    """One editorial check: its id, default severity, scope (a post or the whole site) and function."""

    id: str
    severity: Severity
    scope: Scope
    summary: str  # one line, for `--format sarif` and documentation
    func: Callable[..., Iterable[Finding]]
    kinds: tuple[str, ...] = ("post", "page")  # which kinds of Post a post rule judges

    def at(self, path: str, line: int, col: int, message: str, severity: Severity | None = None, /,
           **data: Any) -> CheckFinding:
        """A finding of this rule, at its default severity unless this kind of finding deserves another;
        a severity the author sets for the rule (site.toml, front matter) replaces either."""
        return CheckFinding(severity or self.severity, message, Location(path, line, col), self.id,
                            tuple(sorted(data.items())))


RULES: dict[str, Rule] = {}


def rule(id: str, summary: str, severity: Severity = "warning", scope: Scope = "post",
         kinds: tuple[str, ...] = ("post", "page")) -> Callable:
    """Decorator registering a check under `id`; the function gets the `Rule` as its `rule` attribute."""

    def register(func: Callable) -> Callable:
        if id in RULES:
            raise ValueError(f"check {id!r} is registered twice")
        RULES[id] = Rule(id, severity, scope, summary, func, kinds)
        func.rule = RULES[id]
        return func

    return register
