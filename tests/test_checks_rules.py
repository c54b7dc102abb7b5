"""Every rule against small fixture sites in tests/checks/<case>/: `-fail` cases hold posts that break
the rule, `-pass` cases posts that keep it. Each case lists its expected findings in expected.txt
(`path:line:col severity rule`); GIVING_REGEN=1 rewrites those files from the current output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import NOW, SITE_TOML
from generator.checks import RULES, check_folder
from generator.site import BuildOptions

CASES = Path(__file__).parent / "checks"
REGEN = os.environ.get("GIVING_REGEN") == "1"


def case_files(case: Path) -> dict[str, str]:
    files = {p.relative_to(case).as_posix(): p.read_text("utf-8")
             for p in sorted(case.rglob("*.md")) if p.is_file()}
    extra = case / "checks.toml"
    files["site.toml"] = SITE_TOML + ("\n" + extra.read_text("utf-8") if extra.exists() else "")
    return files


def findings_of(root: Path) -> list[str]:
    report = check_folder(root, BuildOptions(now=NOW))
    return [f"{f.location.path}:{f.location.line}:{f.location.col} {f.severity} {f.rule}"
            for f in report.findings if f.rule in RULES or f.rule == "checks"]


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "content").is_dir()))
def test_rule_case(case, make_site):
    got = findings_of(make_site(case_files(CASES / case)))
    expected_file = CASES / case / "expected.txt"
    if REGEN:
        expected_file.write_text("".join(line + "\n" for line in got), "utf-8")
    expected = expected_file.read_text("utf-8").split("\n") if expected_file.exists() else []
    assert got == [line for line in expected if line]
    rule = case.removesuffix("-fail").removesuffix("-pass").removesuffix("-ask")
    if case.endswith("-fail"):
        assert any(line.endswith(" " + rule) for line in got), f"{case} should break {rule}"
    else:
        assert not any(line.endswith(" " + rule) for line in got)


def test_every_rule_has_a_failing_and_a_passing_case():
    cases = {p.name for p in CASES.iterdir()}
    for rid in RULES:
        assert f"{rid}-fail" in cases and f"{rid}-pass" in cases, rid
