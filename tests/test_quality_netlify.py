"""On Netlify's terms: netlify.toml and the generated _redirects/_headers pass Netlify's own parser
(@netlify/config, offline) in every deploy context and a stricter Python reading; every form in the
output is one Netlify Forms detects and protects."""

from __future__ import annotations

from tests.quality import (ROOT, form_problems, headers_file_problems, netlify_parser, netlify_toml_problems,
                           redirects_file_problems)
from tests.quality.fixtures import node_tools, sample_public  # noqa: F401 (fixtures)

CONTEXTS = ("production", "deploy-preview", "branch-deploy")


def test_netlify_parses_the_config_and_the_generated_files(sample_public, node_tools, tmp_path):
    report = netlify_parser(ROOT, sample_public, tmp_path, CONTEXTS)
    for context in CONTEXTS:
        result = report["contexts"][context]
        assert result["ok"], f"netlify.toml ({context}): {result.get('error')}"
        assert not result["warnings"], f"netlify.toml ({context}): Netlify warns: {result['warnings']}"
        assert result["build"]["publish"].endswith("/public"), result["build"]
        assert "generator build" in result["build"]["command"], result["build"]
        csp = [h for h in result["headers"] if "Content-Security-Policy" in h["values"]]
        assert [h["for"] for h in csp] == ["/*"], f"{context}: the CSP must cover every path once: {csp}"
    assert "--drafts" in report["contexts"]["deploy-preview"]["build"]["command"]
    assert "--drafts" not in report["contexts"]["production"]["build"]["command"]
    files = report["files"]
    assert not files["redirectsErrors"], "_redirects: " + "\n".join(files["redirectsErrors"])
    assert not files["headersErrors"], "_headers: " + "\n".join(files["headersErrors"])
    written = [line.split()[:2] for line in (sample_public / "_redirects").read_text().splitlines() if line.strip()] \
        if (sample_public / "_redirects").is_file() else []
    parsed = [[r["from"], r["to"]] for r in files["redirects"]]
    assert parsed == written, f"Netlify reads _redirects as {parsed}, giving wrote {written}"


def test_netlify_toml_and_generated_files_pass_the_strict_check(sample_public):
    problems = netlify_toml_problems(ROOT / "netlify.toml", ROOT)
    problems += redirects_file_problems(sample_public) + headers_file_problems(sample_public)
    assert not problems, "\n".join(problems)


def test_every_form_meets_netlify_forms_detection_rules(sample_public):
    problems = form_problems(sample_public)
    assert not problems, "\n".join(problems)
