"""`giving questions import`: Netlify's CSV export and the API's JSON become one file per submission,
idempotently, never overwriting, never writing an e-mail address, keeping spam, reporting bad rows."""

from __future__ import annotations

import json
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


def test_bom_odd_columns_and_line_endings(make_site, tmp_path):
    export = tmp_path / "odd.csv"
    export.write_bytes("\ufeffE-Mail , Your Name,Question ,Consent,Created At,POST,Referrer,Id\r\n"
                       "ana@example.org,Ana,\"Why?\r\nReally?\",on,2026-05-01 10:00:00 UTC,Write-For-One-Reader,"
                       "https://x.example/,abc-1\r\n".encode("utf-8"))
    root = make_site({})
    result = run("questions", "import", str(export), "--site", str(root))
    assert "Imported 1 new question;" in result.output, result.output
    [q] = by_submission(root).values()
    assert q["question"] == "Why?\nReally?" and q["post"] == "write-for-one-reader" and q["consent"] is True
    assert str(q["asked_at"]).startswith("2026-05-01T10:00")
    assert "asked_by" not in q  # "Your Name" is not the form's field; nothing is guessed
    no_email_anywhere(root)


def test_json_that_is_not_a_list_of_records(make_site, tmp_path):
    root = make_site({})
    for name, text, expected in [("obj.json", '{"a": 1}', "JSON must be a list"),
                                 ("str.json", '"text"', "JSON must be a list"),
                                 ("num.json", "42", "JSON must be a list")]:
        (tmp_path / name).write_text(text, "utf-8")
        result = run("questions", "import", str(tmp_path / name), "--site", str(root))
        assert result.exit_code == 1 and expected in result.output, (name, result.output)
    (tmp_path / "mixed.json").write_text(json.dumps([
        None, [], "x", {"created_at": "2026-05-01T10:00:00Z"}, {"created_at": "2026-05-01T10:00:00Z", "data": "x"},
        {"created_at": "2026-05-01T10:00:00Z", "data": {"question": ["one", "two"], "consent": True}, "id": "ok1"},
        {"created_at": "ana@example.org", "data": {"question": "shifted columns?"}},
    ]), "utf-8")
    result = run("questions", "import", str(tmp_path / "mixed.json"), "--site", str(root))
    for n in (1, 2, 3):
        assert f"record {n}: not an object; skipped" in result.output
    assert 'record 4: no "question" field; skipped' in result.output
    assert 'record 5: "data" is not an object; skipped' in result.output
    assert by_submission(root)["ok1"]["question"] == "one, two"
    assert "record 7: created_at '[e-mail removed]' is not a date" in result.output  # not even in the log
    assert "@" not in result.output


def test_huge_fields_are_cut_and_marked(make_site, tmp_path):
    import time

    long_question = "word " * 400_000  # 2 MB: no browser sends this through a 5000-character textarea
    (tmp_path / "big.json").write_text(json.dumps([
        {"id": "big1", "created_at": "2026-05-01T10:00:00Z", "data": {"question": long_question, "name": "N" * 10_000,
                                                                      "consent": "yes", "post": "p" * 10_000}},
        {"id": "x" * 5000 + " <b>ana@example.org</b>", "created_at": "2026-05-02T10:00:00Z",
         "data": {"question": "Fine?"}},
    ]), "utf-8")
    root = make_site({})
    start = time.perf_counter()
    result = run("questions", "import", str(tmp_path / "big.json"), "--site", str(root))
    assert time.perf_counter() - start < 5
    assert "Imported 2 new questions (1 marked as spam)" in result.output
    subs = by_submission(root)
    big = subs["big1"]
    assert big["status"] == "spam" and big["spam_reason"].startswith("longer than the form allows")
    assert len(big["question"]) <= 5000 and len(big["asked_by"]) <= 80 and "post" not in big
    [odd_id] = [k for k in subs if k != "big1"]
    assert re.fullmatch(r"sha256-[0-9a-f]{24}", odd_id)  # an id that is free text is replaced by its hash
    assert all(p.stat().st_size < 6000 for p in (root / "content/questions").iterdir())
    no_email_anywhere(root)


def test_the_form_and_the_import_agree_on_the_longest_question():
    from generator.questions import MAX_QUESTION

    form = (Path(__file__).parents[1] / "themes/default/templates/_ask_form.html").read_text("utf-8")
    assert f'name="question" rows="6" maxlength="{MAX_QUESTION}"' in form


HOSTILE_CSV = (
    "name,email,question,post,consent,created_at,id\n"
    '"</script><script>alert(1)</script> ana@example.org",ana@example.org,"Reach me: ana\\@example.org, '
    'ana&#64;example.org, ana (at) example (dot) org, `ana@example.org`, *ana*@example.org.\n\n'
    '[me](mailto:ana@example.org) [site](https://x.example/?u=ana@example.org)",a,yes,2026-05-01T10:00:00Z,h1\n'
    '"Bo <img src=x onerror=alert(1)>",bo@example.net,"<script>alert(2)</script> [x](javascript:alert(3))?",'
    "a,yes,2026-05-02T10:00:00Z,h2\n"
)


def test_no_email_from_any_submission_reaches_content_or_public(make_site, build_site, tmp_path):
    """The whole flow with every disguise we know: import, answer, build; then search every file."""
    from generator.fs import write_output
    from conftest import post

    (tmp_path / "hostile.csv").write_text(HOSTILE_CSV, "utf-8")
    root = make_site({"content/posts/a.md": post("A", slug="a")}, root=tmp_path / "site")
    for export in (tmp_path / "hostile.csv", CSV, JSON):
        assert run("questions", "import", str(export), "--site", str(root)).exit_code == 0
    for path in (root / "content/questions").glob("*.md"):  # the author answers everything
        path.write_text(path.read_text("utf-8").replace("status: pending", "status: answered") + "An answer.\n",
                        "utf-8")
    result = build_site(root)
    assert not [f for f in result.findings if f.severity == "error"], result.findings
    write_output(root / "public", result.outputs, root)
    assert list((root / "public/questions").glob("reach-me-*/index.html"))
    no_email_anywhere(root)
    for path in root.rglob("*"):  # and no disguised one either
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            assert not EMAIL_RE.search(text), (path, EMAIL_RE.search(text).group(0))
            assert "ana" not in text.lower().replace("ana author", "").replace("banana", ""), path
