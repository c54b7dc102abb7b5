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


def test_hardest_paragraph_does_not_depend_on_posts_checked_before(make_site, tmp_path):
    """The words beside a paragraph joint are counted like every other word, not looked up in what
    earlier posts left in the syllable table (which differs between `giving check`, a parallel build
    and a cached one)."""
    from conftest import post
    from generator.checks import readability

    plain = " ".join(["the cat sat on the mat and was happy."] * 3)
    body = f"{plain}\n\nIncomprehensibly {plain}\n\nUnquestionably {plain}\n"  # long words at the joints
    toml = SITE_TOML + "\n[checks]\nmin_words = 5\nreadability_min_ease = 100\n"
    primer = post("Primer", "2026-02-01", body="So, unquestionably and incomprehensibly, for you.\n")

    def message(files: dict[str, str], root) -> str:
        readability._TABLES.clear()
        report = check_folder(make_site({"site.toml": toml, **files}, root), BuildOptions(now=NOW))
        return next(f.message for f in report.findings
                    if f.rule == "readability" and f.location.path == "content/posts/b.md")

    alone = message({"content/posts/b.md": post("B", body=body)}, tmp_path / "one")
    after = message({"content/posts/a.md": primer, "content/posts/b.md": post("B", body=body)}, tmp_path / "two")
    assert alone == after
