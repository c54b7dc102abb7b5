"""`giving questions import`: Netlify's CSV export and the API's JSON become one file per submission,
idempotently, never overwriting, never writing an e-mail address, keeping spam, reporting bad rows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from generator.cli import main
from generator.frontmatter import split
from generator.questions import EMAIL_RE, Submission, clean_text, question_file

FIXTURES = Path(__file__).parent / "questions"
CSV = FIXTURES / "netlify-export.csv"
JSON = FIXTURES / "submissions.json"
EMAILS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def front(path: Path) -> dict:
    fm, problems = split(path.read_text("utf-8"), path.name)
    assert not problems, problems
    return dict(fm.values)


def questions(root: Path) -> dict[str, dict]:
    return {p.name: front(p) for p in sorted((root / "content/questions").glob("*.md"))}


def by_submission(root: Path) -> dict[str, dict]:
    return {str(v["submission"]): v for v in questions(root).values()}


def no_email_anywhere(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file() and FIXTURES not in path.parents:
            text = path.read_bytes().decode("utf-8", errors="replace")
            assert not EMAILS.search(text), f"{path}: {EMAILS.search(text).group(0)}"


def test_csv_import_writes_one_file_per_submission(make_site):
    root = make_site({})
    result = run("questions", "import", str(CSV), "--site", str(root))
    assert result.exit_code == 0, result.output
    subs = by_submission(root)
    assert set(subs) == {"5f1c0a01", "5f1c0a02", "5f1c0a03", "5f1c0a04", "5f1c0a05", "5f1c0a07"}
    first = subs["5f1c0a01"]
    assert first["asked_by"] == "Slavica" and first["post"] == "write-for-one-reader"
    assert first["status"] == "pending" and first["consent"] is True
    assert first["question"] == "Since you were asking for topics: which tools should a beginner start with?"
    assert str(first["asked_at"]).startswith("2026-03-20")
    assert (root / "content/questions/2026-03-20-since-you-were-asking-for-topics-which-tools-a.md").is_file()


def test_name_is_kept_only_with_consent(make_site):
    root = make_site({})
    run("questions", "import", str(CSV), "--site", str(root))
    private = by_submission(root)["5f1c0a02"]
    assert "asked_by" not in private and private["consent"] is False
    assert private["question"] == "I would rather not be named.\nBut how do I start?"
    assert not any("Private Person" in p.read_text("utf-8") for p in (root / "content/questions").glob("*"))


def test_spam_is_kept_with_its_reason(make_site):
    root = make_site({})
    run("questions", "import", str(CSV), "--site", str(root))
    subs = by_submission(root)
    assert subs["5f1c0a03"]["status"] == "spam" and subs["5f1c0a03"]["spam_reason"] == "honeypot field filled in"
    assert subs["5f1c0a04"]["status"] == "spam" and subs["5f1c0a04"]["spam_reason"] == "link stuffing"
    assert subs["5f1c0a05"]["status"] == "spam" and subs["5f1c0a05"]["spam_reason"] == "empty question"
    assert subs["5f1c0a01"]["status"] == "pending"


def test_malformed_rows_are_reported_by_number_and_skipped(make_site):
    root = make_site({})
    result = run("questions", "import", str(CSV), "--site", str(root))
    assert result.exit_code == 0
    assert "row 7: created_at 'last tuesday' is not a date; skipped" in result.output
    assert "row 9: 10 cells for 9 columns; skipped" in result.output
    assert "row 10: fewer cells than the 9 columns; skipped" in result.output
    assert "Imported 6 new questions (3 marked as spam); 0 already there; 3 malformed skipped." in result.output


def test_reader_text_cannot_forge_front_matter_or_leave_an_email(make_site):
    root = make_site({})
    run("questions", "import", str(CSV), "--site", str(root))
    eve = by_submission(root)["5f1c0a07"]
    assert eve["status"] == "pending" and eve["asked_by"] == "Eve"
    assert "post" not in eve  # "../../etc/passwd" is not a slug
    assert eve["question"].startswith("---\nstatus: answered\nasked_by: admin\n---\n")
    assert "[e-mail removed]" in eve["question"]
    no_email_anywhere(root)


def test_json_import_of_the_api_shape(make_site):
    root = make_site({})
    result = run("questions", "import", str(JSON), "--site", str(root))
    assert result.exit_code == 0, result.output
    subs = by_submission(root)
    assert set(subs) == {"6a000001", "6a000002", "6a000006"}
    assert subs["6a000001"]["asked_by"] == "Tomás Ferreira" and subs["6a000001"]["post"] == "conversation-over-count"
    assert "asked_by" not in subs["6a000002"]  # consent was not given
    assert subs["6a000006"]["status"] == "spam"
    assert "record 4: not an object; skipped" in result.output
    assert "record 5: no created_at date; skipped" in result.output
    assert "1 from other forms ignored" in result.output
    no_email_anywhere(root)


def test_reimport_adds_nothing(make_site):
    root = make_site({})
    run("questions", "import", str(CSV), "--site", str(root))
    run("questions", "import", str(JSON), "--site", str(root))
    before = {p.name: p.read_bytes() for p in (root / "content/questions").iterdir()}
    again = run("questions", "import", str(CSV), "--site", str(root))
    assert "Imported 0 new questions; 6 already there" in again.output
    assert "Imported 0 new questions; 3 already there" in run("questions", "import", str(JSON), "--site",
                                                                str(root)).output
    assert {p.name: p.read_bytes() for p in (root / "content/questions").iterdir()} == before


def test_existing_files_are_never_overwritten_even_when_edited(make_site):
    root = make_site({})
    run("questions", "import", str(CSV), "--site", str(root))
    path = root / "content/questions/2026-03-20-since-you-were-asking-for-topics-which-tools-a.md"
    # The author answers, and breaks the YAML while at it: the id still counts, nothing is rewritten.
    edited = path.read_text("utf-8").replace("status: pending", "status: [answered") + "My reply.\n"
    path.write_text(edited, "utf-8")
    result = run("questions", "import", str(CSV), "--site", str(root))
    assert "Imported 0 new" in result.output
    assert path.read_text("utf-8") == edited


def test_a_new_submission_never_takes_an_existing_name(make_site):
    taken = "---\nasked_at: 2026-03-20\nquestion: mine\n---\n"
    stem = "since-you-were-asking-for-topics-which-tools-a"
    root = make_site({f"content/questions/2026-03-20-{stem}.md": taken,
                      f"content/questions/2026-01-01-{stem}-2.md": taken})
    run("questions", "import", str(CSV), "--site", str(root))
    assert (root / f"content/questions/2026-03-20-{stem}.md").read_text() == taken
    # -2 would give the same URL as the January file, so the import takes -3.
    new = root / f"content/questions/2026-03-20-{stem}-3.md"
    assert front(new)["submission"] == "5f1c0a01"


def test_csv_without_ids_is_still_idempotent(make_site, tmp_path):
    export = tmp_path / "no-ids.csv"
    export.write_text("Name,Email,Question,Created At\nAna,ana@example.org,\"Why, though?\",2026-05-01 10:00:00\n",
                      "utf-8")
    root = make_site({})
    assert "Imported 1 new question;" in run("questions", "import", str(export), "--site", str(root)).output
    assert "Imported 0 new questions; 1 already there" in run("questions", "import", str(export), "--site",
                                                                str(root)).output
    no_email_anywhere(root)


def test_unusable_files_fail_with_a_reason(make_site, tmp_path):
    root = make_site({})
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[{", "utf-8")
    result = run("questions", "import", str(bad_json), "--site", str(root))
    assert result.exit_code == 1 and "not valid JSON" in result.output
    no_question = tmp_path / "contact.csv"
    no_question.write_text("name,message_body\nA,B\n", "utf-8")
    result = run("questions", "import", str(no_question), "--site", str(root))
    assert result.exit_code == 1 and 'no "question" column' in result.output
    assert run("questions", "import", str(tmp_path / "missing.csv"), "--site", str(root)).exit_code in (1, 2)
    assert not (root / "content/questions").exists()


def test_imported_questions_build_and_list(make_site, build_site):
    root = make_site({})
    shutil.copy(CSV, root / "export.csv")  # outside content/: never read by the build
    assert run("questions", "import", str(root / "export.csv"), "--site", str(root)).exit_code == 0
    result = build_site(root)
    assert not [f for f in result.findings if f.severity == "error"], result.findings
    listing = run("questions", "list", "--site", str(root))
    assert listing.exit_code == 0
    lines = [line for line in listing.output.splitlines() if "content/questions/" in line]
    assert len(lines) == 3 and "2026-03-20" in lines[0] and "2026-03-23" in lines[-1]  # pending, oldest first
    assert "3 waiting questions." in listing.output
    assert "6 questions." in run("questions", "list", "--all", "--site", str(root)).output


# Reader text survives the trip through YAML exactly (after cleaning), whatever it holds.
reader_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=reader_text, name=st.text(max_size=40))
def test_question_files_round_trip_any_text(question, name):
    from datetime import datetime, timezone

    cleaned = clean_text(question)
    sub = Submission("id-1", datetime(2026, 1, 2, tzinfo=timezone.utc), name.strip()[:80], cleaned, None, True)
    text = question_file(sub)
    fm, problems = split(text, "q.md")
    assert not problems
    assert fm.values["question"] == cleaned
    assert fm.body == ""
    assert not EMAIL_RE.search(text.replace("[e-mail removed]", ""))
    assert set(fm.values) <= {"asked_by", "asked_at", "status", "consent", "submission", "question"}
    yaml.safe_load(text.split("---\n")[1])
