"""Turning checks down: [checks] in site.toml, front matter `checks:`, and disable comments; a misspelt
rule id anywhere is an error that names the place and suggests the right id."""

from __future__ import annotations

import pytest

from conftest import NOW, SITE_TOML, post
from generator.checks import check_folder
from generator.config import parse_config
from generator.errors import GivingError
from generator.site import BuildOptions

SHOUTY = "You must read THIS NOW!! It matters to you.\n"


def run(make_site, files, checks=""):
    root = make_site({**files, "site.toml": SITE_TOML + checks})
    return check_folder(root, BuildOptions(now=NOW)).findings


def rules(findings):
    return sorted({f.rule for f in findings})


def test_unknown_key_in_checks_table_names_line_and_suggests():
    with pytest.raises(GivingError) as exc:
        parse_config(SITE_TOML + '\n[checks]\nreader-focus = "off"\nshoutng = "off"\n')
    (finding,) = exc.value.findings
    assert finding.location.line == 8
    assert 'unknown key "checks.shoutng"; did you mean "shouting"?' in finding.message


def test_wrong_type_in_checks_table():
    with pytest.raises(GivingError) as exc:
        parse_config(SITE_TOML + "\n[checks]\nmin_words = \"many\"\n")
    assert "checks.min_words must be an integer" in exc.value.findings[0].message


def test_bad_severity_value_is_an_error_with_its_line(make_site):
    findings = run(make_site, {"content/posts/a.md": post("A", body=SHOUTY)}, '\n[checks]\nshouting = "loud"\n')
    (bad,) = [f for f in findings if f.severity == "error"]
    assert bad.location.path == "site.toml" and bad.location.line == 7
    assert "checks.shouting must be one of off, info, warning, error" in bad.message


def test_site_can_turn_a_rule_off_or_raise_it(make_site):
    files = {"content/posts/a.md": post("A", body=SHOUTY)}
    assert "shouting" in rules(run(make_site, files))
    assert "shouting" not in rules(run(make_site, files, '\n[checks]\nshouting = "off"\n'))
    raised = run(make_site, files, '\n[checks]\nshouting = "error"\n')
    assert {f.severity for f in raised if f.rule == "shouting"} == {"error"}


def test_thresholds_come_from_site_toml(make_site):
    body = "One two three four five six seven eight nine ten eleven twelve, for you.\n"
    files = {"content/posts/a.md": post("A", body=body)}
    assert "readability" not in rules(run(make_site, files))
    assert "readability" in rules(run(make_site, files, "\n[checks]\nreadability_sentence_words = 8\n"))


def test_front_matter_turns_rules_off_per_post(make_site):
    files = {"content/posts/a.md": post("A", body=SHOUTY, checks="{shouting: off}"),
             "content/posts/b.md": post("B", body=SHOUTY, checks="{all: off}"),
             "content/posts/c.md": post("C", body=SHOUTY, checks="{shouting: error}")}
    findings = run(make_site, files)
    by_file = {f.location.path: f.severity for f in findings if f.rule == "shouting"}
    assert by_file == {"content/posts/c.md": "error"}


def test_front_matter_misspelt_rule_is_an_error(make_site):
    findings = run(make_site, {"content/posts/a.md": post("A", checks="{reader-fokus: off}")})
    (bad,) = [f for f in findings if f.severity == "error"]
    assert bad.location.line == 4 and bad.rule == "checks"
    assert 'unknown check "reader-fokus"; did you mean "reader-focus"?' in bad.message


def test_front_matter_checks_must_be_a_mapping(make_site):
    findings = run(make_site, {"content/posts/a.md": post("A", checks="[shouting]")})
    assert any(f.rule == "front-matter" and f.severity == "error" for f in findings)


def test_disable_comments_cover_lines_until_enable(make_site):
    body = ("THIS IS LOUD for you.\n\n<!-- giving-disable shouting -->\n\nSTILL LOUD but allowed for you.\n\n"
            "<!-- giving-enable shouting -->\n\nLOUD AGAIN for you.\n\n"
            "<!-- giving-disable-next-line -->\nQUIET NOW for you.\n\nYOU SAID BUY NOW <!-- giving-disable -->\n")
    findings = [f for f in run(make_site, {"content/posts/a.md": post("A", body=body)}) if f.rule == "shouting"]
    assert [f.location.line for f in findings] == [5, 13]


def test_disable_comment_with_misspelt_rule_is_an_error(make_site):
    body = "Text for you.\n\n<!-- giving-disable shoutin, megaphone -->\n"
    findings = run(make_site, {"content/posts/a.md": post("A", body=body)})
    (bad,) = [f for f in findings if f.severity == "error"]
    assert bad.location.line == 7 and 'did you mean "shouting"?' in bad.message


def test_drafts_are_not_checked_unless_asked(make_site):
    root = make_site({"content/posts/a.md": post("A", body=SHOUTY, draft="true")})
    assert not check_folder(root, BuildOptions(now=NOW)).findings
    assert check_folder(root, BuildOptions(now=NOW, drafts=True)).findings


def test_checks_table_is_known_before_the_checks_are_imported():
    """The build imports the checks lazily; a fresh interpreter must still accept [checks] in site.toml."""
    import subprocess
    import sys

    code = ("from generator.config import parse_config\n"
            "c = parse_config('title = \"T\"\\nbase_url = \"https://t.example/\"\\n[checks]\\nshouting = \"off\"\\n')\n"
            "print(dict(c.section('checks'))['shouting'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "off"
