"""Lighthouse (mobile profile, Debian chromium) scores the home page and a post at least 95 in performance,
accessibility, best practices and SEO. One Lighthouse run covers both pages: it is the slow check."""

from __future__ import annotations

import pytest

from tests.quality import lighthouse
from tests.quality.fixtures import node_tools, page_url, sample_public, served  # noqa: F401 (fixtures)

MINIMUM = 0.95


@pytest.mark.lighthouse
def test_lighthouse_scores_home_and_a_post_at_least_95(served, node_tools):
    urls = [page_url(served, "home"), page_url(served, "post")]
    report = lighthouse(urls)
    # Performance is timed, so a busy machine (the rest of the suite runs beside this test) can cost a page
    # with no JavaScript 5-10 points of "blocking time". As Lighthouse's own guidance on variability says,
    # a low score is measured twice more and the median counts; the other categories are not timed.
    if any((report[url]["scores"].get("performance") or 0) < MINIMUM for url in urls):
        runs = [report, lighthouse(urls), lighthouse(urls)]
        for url in urls:
            report[url]["scores"]["performance"] = sorted(
                run[url]["scores"].get("performance") or 0 for run in runs)[1]
    problems, scores = [], []
    for url in urls:
        result = report[url]
        path = url.replace(served.base, "")
        assert not result["runtimeError"], f"{path}: Lighthouse: {result['runtimeError']}"
        scores.append(f"{path}: " + ", ".join(f"{k} {round(v * 100)}" for k, v in result["scores"].items()))
        for category, score in result["scores"].items():
            if score is None or score < MINIMUM:
                why = "; ".join(f"{a['id']} ({a['title']}{', ' + a['displayValue'] if a['displayValue'] else ''})"
                                for a in result["failing"] if a["category"] == category)
                problems.append(f"{path}: Lighthouse {category} {score} < {MINIMUM}: {why}")
    print("\n".join(scores))
    assert not problems, "\n".join(problems + scores)
