"""`giving check` in every output format, exit codes, and the checks inside `giving build`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import NOW, SITE_TOML, post
from generator.checks import RULES, CheckFinding, check_folder, post_reports
from generator.cli import main
from generator.site import BuildOptions

ROOT = Path(__file__).parent.parent
LOUD = "You will love THIS HUGE NEWS!! Tell me what you think.\n"


def site(make_site, **extra):
    return make_site({"content/posts/loud.md": post("Loud", body=LOUD),
                      "content/posts/calm.md": post("Calm", body="Calm words for you.\n"), **extra})


def invoke(root, *args, color=False):
    return CliRunner().invoke(main, ["check", "--site", str(root), *args], color=color)


def test_text_output_is_grouped_with_a_closing_count(make_site):
    result = invoke(site(make_site))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "content/posts/loud.md"
    assert "  content/posts/loud.md:5:15  warning  \"THIS HUGE NEWS\" is in capitals" in result.output
    assert lines[-1] == "0 errors, 2 warnings, 0 info in 1 file (2 checked)."
    assert "\x1b[" not in result.output


def test_text_output_has_colour_on_a_terminal(make_site):
    assert "\x1b[33m" in invoke(site(make_site), color=True).output


def test_strict_fails_on_warnings(make_site):
    assert invoke(site(make_site), "--strict").exit_code == 1


def test_errors_fail_and_clean_sites_pass(make_site):
    root = make_site({"content/posts/a.md": post("A", body="Fine words for you.\n")})
    result = invoke(root)
    assert result.exit_code == 0 and result.output.strip() == "No problems in 1 file."
    root = make_site({"content/posts/a.md": post("A", checks="{nope: off}")})
    assert invoke(root).exit_code == 1


def test_usage_errors_exit_2(make_site):
    root = site(make_site)
    assert invoke(root, "--format", "xml").exit_code == 2
    assert invoke(root, "no/such/file.md").exit_code == 2


def test_paths_limit_what_is_reported(make_site, monkeypatch):
    root = site(make_site)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check", "--format", "json", "content/posts/calm.md"])
    doc = json.loads(result.output)
    assert doc["findings"] == [] and list(doc["stats"]) == ["content/posts/calm.md"]


def test_json_has_the_documented_shape(make_site):
    result = invoke(site(make_site), "--format", "json")
    doc = json.loads(result.output)
    assert set(doc) == {"version", "findings", "stats", "summary"} and doc["version"] == 1
    for f in doc["findings"]:
        assert set(f) == {"path", "line", "column", "rule", "severity", "message", "data"}
        assert f["line"] >= 1 and f["column"] >= 1 and f["rule"] in RULES
    assert doc["summary"] == {"files": 2, "errors": 0, "warnings": 2, "info": 0}  # files checked
    stats = doc["stats"]["content/posts/loud.md"]
    assert {"words", "self", "reader"} <= set(stats) and stats["self"] == 1 and stats["reader"] == 2


def test_json_reader_focus_data_carries_both_counts(make_site):
    body = "I did it. I am proud of my work, and we are proud of us. You may like it.\n"
    root = make_site({"content/posts/me.md": post("Me", body=body), "site.toml": SITE_TOML + "[checks]\nmin_words = 5\n"})
    doc = json.loads(invoke(root, "--format", "json").output)
    (focus,) = [f for f in doc["findings"] if f["rule"] == "reader-focus"]
    assert focus["data"]["self"] == 5 and focus["data"]["reader"] == 1


def test_github_annotations(make_site):
    out = invoke(site(make_site), "--format", "github").output.splitlines()
    assert out[0].startswith("::warning file=content/posts/loud.md,line=5,col=15,title=shouting::")
    assert all(line.startswith(("::warning ", "::error ", "::notice ")) for line in out)


def test_sarif_is_structurally_valid(make_site):
    doc = json.loads(invoke(site(make_site), "--format", "sarif").output)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "giving"
    assert {r["id"] for r in rules} >= set(RULES)
    for r in rules:
        assert r["shortDescription"]["text"] and r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert len(run["results"]) == 2
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note", "none") and result["message"]["text"]
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "content/posts/loud.md"
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1


def test_build_reports_check_warnings_but_succeeds(make_site, build_site):
    result = build_site(site(make_site))
    assert result.outputs
    assert {f.rule for f in result.findings if f.severity == "warning"} >= {"shouting"}


def test_preview_gets_findings_and_counts_per_post(make_site, build_site):
    result = build_site(site(make_site))
    reports = post_reports(result.site)
    loud = reports["content/posts/loud.md"]
    assert loud["stats"]["self"] == 1 and loud["stats"]["reader"] == 2
    assert {f["rule"] for f in loud["findings"]} == {"shouting"}
    assert reports["content/posts/calm.md"]["findings"] == []
    json.dumps(reports)  # plain data


def test_sample_site_has_no_check_warnings():
    report = check_folder(ROOT, BuildOptions(now=NOW, drafts=True))
    assert [f.format() for f in report.findings if f.rule in RULES and f.severity != "info"] == []


markdown = st.lists(st.sampled_from([
    "I", "you", "WE", "SHOUT", "NOW", "!!", "?", "“", "”", '"', "'", "’", "> ", "# ", "#### ", "- ", "\n",
    "\n\n", "`code`", "```\nI me\n```\n", "[here](#x)", "![](a.png)", "<!-- giving-disable -->",
    "<!-- giving-enable shouting -->", "follow me", "the the", "*", "_", "|a|b|\n|-|-|\n", "[^1]", "\n[^1]: n\n",
    " ", "word", ".", "Mr.", "é", "İ", "\t",
]), max_size=60).map("".join)


@given(markdown)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_checks_never_crash_and_point_inside_the_file(make_site, body):
    text = post("Arbitrary", body=body)
    root = make_site({"content/posts/x.md": text, "site.toml": SITE_TOML + "[checks]\nmin_words = 1\n"})
    lines = text.split("\n")
    for f in check_folder(root, BuildOptions(now=NOW)).findings:
        assert f.rule != "checks" or "crashed" not in f.message, f.message
        if isinstance(f, CheckFinding):  # build errors (line only) come from site.py
            assert 1 <= f.location.line <= len(lines), f
            assert 1 <= f.location.col <= len(lines[f.location.line - 1]) + 1, (f, lines[f.location.line - 1])


def test_sarif_validates_against_the_sarif_schema(make_site):
    import jsonschema

    schema = json.loads((Path(__file__).parent / "checks" / "sarif-2.1.0-subset.schema.json").read_text("utf-8"))
    extra = {"content/posts/bad.md": post("Bad", checks="{nope: off}", body="![](x.png) Follow me, “you”.\n")}
    doc = json.loads(invoke(site(make_site, **extra), "--format", "sarif").output)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"checks", "alt-text", "shouting"}
    assert doc["runs"][0]["columnKind"] == "unicodeCodePoints"


def test_json_lines_are_one_based_even_for_whole_file_findings(make_site):
    root = site(make_site, **{"content/posts/bad.md": post("Bad", checks="[1, 2]")})
    doc = json.loads(invoke(root, "--format", "json").output)
    assert doc["findings"] and all(f["line"] >= 1 and f["column"] >= 1 for f in doc["findings"])


def test_templates_can_show_per_post_stats(make_site, build_site):
    meter = "{% extends \"base.html\" %}{% block main %}{% set s = post_stats(post) %}" \
            "<p class=meter>{{ s.self }}/{{ s.reader }}/{{ s.words }}</p>{% endblock %}"
    root = site(make_site, **{"templates/post.html": meter})
    result = build_site(root)
    loud = next(data for path, data in result.outputs.items() if path.startswith("loud/"))
    assert b"<p class=meter>1/2/" in loud


def test_build_prints_findings_and_a_summary(make_site):
    result = CliRunner().invoke(main, ["build", "--site", str(site(make_site))])
    assert result.exit_code == 0, result.output
    assert '"THIS HUGE NEWS" is in capitals' in result.output
    assert "0 errors, 2 warnings" in result.output.splitlines()[-1]


def test_check_reports_questions_waiting_too_long_as_build_does(make_site):
    waiting = ("---\nasked_at: 2025-12-01T10:00:00Z\nstatus: pending\nsubmission: s1\n"
               "question: |\n  Which tools should a beginner start with?\n---\n")
    root = site(make_site, **{"content/questions/2025-12-01-tools.md": waiting})
    result = invoke(root, "--format", "json")
    found = [f for f in json.loads(result.output)["findings"] if f["rule"] == "unanswered"]
    assert [(f["path"], f["severity"]) for f in found] == [("content/questions/2025-12-01-tools.md", "warning")]
    assert "still waiting" in found[0]["message"]
