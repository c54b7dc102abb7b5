"""The `giving` command: parse arguments, call the pipeline, print findings and a summary.

Exit codes: 0 success, 1 content or build errors, 2 usage errors (click's own). No build logic here.
generator/cli.py is the entry point; it answers an up-to-date `giving build` before this is imported.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timezone
from pathlib import Path

import click

from generator import __version__
from generator.errors import Finding, GivingError, has_errors

SITE_OPTION = click.option("--site", "site_root", type=click.Path(file_okay=False, path_type=Path), default=".",
                           show_default=True, help="Folder holding site.toml.")


COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}


def echo_findings(findings: list[Finding] | tuple[Finding, ...]) -> None:
    echo_lines([(f.severity, f.format()) for f in findings])


def echo_lines(lines: list[tuple[str, str]]) -> None:
    """(severity, text) lines on stderr, coloured on a terminal; one write (thousands of warnings
    written one by one took the better part of a second)."""
    if lines:
        click.echo("\n".join(click.style(text, fg=COLOURS[severity]) for severity, text in lines), err=True)


def _counts(findings) -> str:
    severities = [f if isinstance(f, str) else f.severity if hasattr(f, "severity") else f[0] for f in findings]
    errors, warnings = severities.count("error"), severities.count("warning")
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="giving")
def main() -> None:
    """giving: a static site generator for blogs that serve their readers."""


@main.command()
@SITE_OPTION
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: public/ in the site).")
@click.option("--drafts", is_flag=True, help="Include posts marked draft: true.")
@click.option("--future", is_flag=True, help="Include posts dated in the future.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--no-cache", is_flag=True, help="A clean build: neither read nor update .giving-cache/.")
def build(site_root: Path, out: Path | None, drafts: bool, future: bool, strict: bool, no_cache: bool) -> None:
    """Build the site into the output folder, replacing it only if the build succeeds."""
    from generator.build import Progress, build as run_build
    from generator.fs import write_output
    from generator.model import BuildOptions
    import gc
    import time

    gc.set_threshold(100_000, 50, 100)  # a build makes millions of small objects and few cycles

    out = out if out is not None else site_root / "public"
    options = BuildOptions(now=datetime.now(timezone.utc), drafts=drafts, future=future)
    started = time.perf_counter()
    snapshot = None
    if not no_cache:
        from generator import manifest
        from generator.patch import rebuild

        try:  # posts edited in place: only the pages that show them are rendered again
            patched = rebuild(site_root, out, options, strict, __version__)
        except Exception:  # noqa: BLE001 - whatever went wrong, the normal build below puts it right
            patched = None
        if patched is not None:
            echo_lines(patched.findings)
            click.echo(f"Built {patched.pages} pages ({patched.files} files) into {out} in "
                       f"{time.perf_counter() - started:.2f} s; {_counts(patched.findings)}.")
            return
        manifest.forget(str(site_root))  # only a build that succeeds leaves a manifest
        snapshot = manifest.Snapshot(str(site_root))  # the inputs' stat, before anything is read
    info: dict = {}
    stage: list = []  # a fresh output's staging folder, made as the render workers start (fs.stage_output)

    def staging() -> str | None:
        from generator.fs import stage_output

        stage.append(stage_output(out, site_root))
        return stage[-1] and stage[-1][0]

    stamp = finish_base = None
    bar = _progress_bar()

    def fails(findings) -> bool:
        return has_errors(findings) or (strict and any(f.severity == "warning" for f in findings))

    def finished(result) -> None:
        """The build rendered: the site for the next patched build is saved by a forked child while
        the build writes its cache files, the findings are printed and the output is written."""
        nonlocal stamp, finish_base
        findings = result.findings
        if not fails(findings) and snapshot is not None and not info.get("questions", True) and "chain" in info \
                and result.site is not None:
            import os

            from generator.patch import save_base_beside

            bar.stop()  # the progress bar's refresh thread would make forking unsafe
            stamp = os.urandom(8).hex()  # secrets.token_hex(8)
            finish_base = save_base_beside(site_root, result.site, findings, info["chain"], stamp)

    try:
        with bar as progress:
            result = run_build(site_root, options, progress, cache=not no_cache, site_needed=False, info=info,
                               stage=staging, finished=finished)
        staged = (stage[-1], info.get("staged", ())) if stage and stage[-1] else None
        findings = result.findings
        echo_findings(findings)
        if fails(findings):
            why = " (--strict: warnings count as errors)" if strict and not has_errors(findings) else ""
            click.secho(f"Build failed: {_counts(findings)}{why}; {out} was left as it was.", err=True, fg="red")
            sys.exit(1)
        # A fresh output folder's stat is taken before it is renamed into place (see manifest.Fresh).
        fresh = [] if snapshot is not None and snapshot.found is not None and not info.get("questions", True) \
            else None
        try:
            write_output(out, result.outputs, site_root, staged, fresh)
        except GivingError as exc:  # (the saved site is dropped on the way out, below)
            echo_findings(exc.findings)
            sys.exit(1)
        elapsed = time.perf_counter() - started
        pages = sum(1 for p in result.outputs if p.endswith(".html"))
        files = len(result.outputs)
        if snapshot is not None:
            due = info.get("due")
            recorded = manifest.record(snapshot, str(out), (drafts, future, strict), __version__, result.outputs,
                                       [(f.severity, f.format()) for f in findings], pages, due and due.timestamp(),
                                       info.get("questions", True), tuple(info.get("fonts", ())), stamp,
                                       fresh[0] if fresh else None)
            result = None  # the outputs are written: let them go before the site is saved (peak memory)
            if finish_base:
                finish_base(bool(recorded))
        click.echo(f"Built {pages} pages ({files} files) into {out} in {elapsed:.2f} s; "
                   f"{_counts(findings)}.")
    finally:
        if finish_base:
            finish_base(False)  # the build stopped before it could keep the site (once finished: nothing)
        if stage:
            from generator.fs import discard_stage

            discard_stage(stage[-1])  # gone already if it became the output


@main.command()
@SITE_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text",
              show_default=True, help="text for people; json, github (workflow annotations) or sarif for tools.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--drafts", is_flag=True, help="Check drafts as well.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check(site_root: Path, fmt: str, strict: bool, drafts: bool, paths: tuple[Path, ...]) -> None:
    """Run the editorial checks without building; PATHS limit which files are reported."""
    from generator.checks.report import exit_code, render
    from generator.checks.run import check_folder, site_paths
    from generator.site import BuildOptions

    try:
        wanted = site_paths(site_root, paths)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    report = check_folder(site_root, BuildOptions(now=datetime.now(timezone.utc), drafts=drafts), wanted)
    click.echo(render(report, fmt, click.style if fmt == "text" else None))
    sys.exit(exit_code(report, strict))


class _progress_bar:
    """A rich progress bar on an interactive terminal once the build takes longer than a moment."""

    def __enter__(self):
        from generator.build import Progress

        if not sys.stderr.isatty():
            return Progress()
        from rich.progress import Progress as Bar

        self.bar = Bar(transient=True, console=None)
        self.task = None
        import time

        began = time.perf_counter()

        def start(total: int) -> None:
            self.total = total

        def advance() -> None:
            if self.stopped:
                return
            if self.task is None and time.perf_counter() - began > 0.5:
                self.bar.start()
                self.task = self.bar.add_task("Building", total=self.total)
            if self.task is not None:
                self.bar.advance(self.task)

        self.total = 0
        self.stopped = False
        return Progress(start, advance)

    def stop(self) -> None:
        """Take the bar off (the build's counting is over); `advance` does nothing after it."""
        self.stopped = True
        if getattr(self, "task", None) is not None:
            self.bar.stop()
            self.task = None

    def __exit__(self, *exc) -> None:
        self.stop()


@main.command()
@SITE_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
@click.option("--no-drafts", is_flag=True, help="Leave out drafts and future posts, as `giving build` does.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
def serve(site_root: Path, host: str, port: int, no_drafts: bool, open_browser: bool) -> None:
    """Preview the site: rebuild on every save and reload the browser (drafts and future posts included)."""
    import time

    from generator.serve import Preview

    def report(b) -> None:
        if b.number == 1:
            echo_findings(b.findings)
            return
        if not b.ok:
            echo_findings([f for f in b.findings if f.severity == "error"])
            click.secho(f"Build failed: {_counts(b.findings)}; still serving the last good build.", err=True, fg="red")
            return
        what = "nothing changed" if b.changed == () else \
            "all pages changed" if b.changed is None else \
            f"{len(b.changed)} file{'s' * (len(b.changed) != 1)} changed"
        what += " (stylesheet swapped)" if b.css_only else ""
        checks = f" (+{b.check_seconds * 1000:.0f} ms of checks)" if b.check_seconds else ""
        click.echo(f"Rebuilt in {b.seconds * 1000:.0f} ms{checks}: {what}; {_counts(b.findings)}.")

    if not (site_root / "site.toml").is_file():
        click.secho(f"no site.toml in {site_root}; run `giving init` to start a site, or pass --site", err=True, fg="red")
        sys.exit(1)
    preview = Preview(site_root, host=host, port=port, drafts=not no_drafts, on_build=report)
    try:  # one handler for Ctrl-C, wherever it lands: during the first build, the messages or the wait
        try:
            preview.start()
        except GivingError as exc:
            preview.close()
            echo_findings(exc.findings)
            sys.exit(1)
        _serving(preview, site_root, host, port, no_drafts, open_browser)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        preview.close()
    click.echo("Stopped.")


def _serving(preview, site_root: Path, host: str, port: int, no_drafts: bool, open_browser: bool) -> None:
    """What `giving serve` says once it is up."""
    from generator.serve import all_interfaces, loopback

    if all_interfaces(host):
        click.secho(f"Warning: listening on all interfaces ({host}); anyone on your network can read this preview, "
                    "drafts included.", err=True, fg="yellow")
    elif not loopback(host):
        click.secho(f"Warning: listening on {host}, which other machines can reach; they can read this preview, "
                    "drafts included.", err=True, fg="yellow")
    if port == 0:
        click.echo(f"Port 0: picked free port {preview.port}.")
    included = "drafts and future posts left out" if no_drafts else "drafts and future posts included"
    click.echo(f"Serving {site_root} at {preview.url} ({included}); findings at {preview.url}_giving/. "
               "Press Ctrl-C to stop.")
    if open_browser:
        import webbrowser

        webbrowser.open(preview.url)


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Create a new site in DIRECTORY (which must be new or empty)."""
    from generator.scaffold import init_site

    try:
        written = init_site(directory)
    except GivingError as exc:
        echo_findings(exc.findings)
        sys.exit(1)
    click.echo(f"Created {len(written)} files in {directory}. Next: cd {directory} && giving build")
    from generator.scaffold import giving_requirement

    if giving_requirement() is None:
        click.echo("Before deploying on Netlify, set requirements.txt to where giving comes from (see README).")


@main.group()
def new() -> None:
    """Create new content."""


@new.command("post")
@click.argument("title")
@click.option("--series", default=None, help="Add the post to this series, as its next part.")
@SITE_OPTION
def new_post(title: str, series: str | None, site_root: Path) -> None:
    """Create content/posts/<slug>.md as a draft titled TITLE."""
    from generator.scaffold import new_post as make

    if not (site_root / "site.toml").is_file():
        click.secho(f"no site.toml in {site_root}; run this inside a site or pass --site", err=True, fg="red")
        sys.exit(1)
    try:
        path = make(site_root, title, series, date.today())
    except GivingError as exc:
        echo_findings(exc.findings)
        sys.exit(1)
    click.echo(f"Created {path} (a draft: set draft: false to publish).")


@main.group()
def questions() -> None:
    """Reader questions: import submissions from Netlify Forms, list what waits for an answer."""


def _questions_config(site_root: Path):
    from generator.build import load_config

    try:
        return load_config(site_root)[0]
    except GivingError as exc:
        echo_findings(exc.findings)
        sys.exit(1)


def _echo_import(report) -> None:
    for problem in report.problems:
        click.secho(problem, err=True, fg="yellow")
    for path in report.written:
        click.echo(f"  {path}")
    spam = f" ({report.spam} marked as spam)" if report.spam else ""
    other = f"; {report.other_forms} from other forms ignored" if report.other_forms else ""
    skipped = f"; {len(report.problems)} malformed skipped" if report.problems else ""
    click.echo(f"Imported {len(report.written)} new question{'s' * (len(report.written) != 1)}{spam}; "
               f"{report.already} already there{other}{skipped}.")


@questions.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@SITE_OPTION
def questions_import(file: Path, site_root: Path) -> None:
    """Import FILE, Netlify's CSV export or the submissions API's JSON, into content/questions/."""
    from generator.questions import QuestionsError, import_file

    config = _questions_config(site_root)
    try:
        report = import_file(site_root, file, config)
    except QuestionsError as exc:
        click.secho(f"{file}: {exc}", err=True, fg="red")
        sys.exit(1)
    _echo_import(report)


@questions.command("pull")
@SITE_OPTION
@click.option("--api-url", default=None, help="Netlify API base URL (default: https://api.netlify.com/api/v1).")
@click.option("--site-id", default=None, help="Netlify site id (default: [questions] site_id or NETLIFY_SITE_ID).")
def questions_pull(site_root: Path, api_url: str | None, site_id: str | None) -> None:
    """Fetch the ask form's submissions from Netlify (token in NETLIFY_AUTH_TOKEN) and import new ones."""
    import os

    from generator.questions import API_URL, QuestionsError, pull

    config = _questions_config(site_root)
    try:
        report = pull(site_root, config, os.environ.get("NETLIFY_AUTH_TOKEN", ""),
                      site_id or os.environ.get("NETLIFY_SITE_ID", ""), api_url or API_URL)
    except QuestionsError as exc:
        click.secho(f"pull failed: {exc}", err=True, fg="red")
        sys.exit(1)
    _echo_import(report)


@questions.command("list")
@SITE_OPTION
@click.option("--all", "show_all", is_flag=True, help="Show every question, not only those waiting.")
def questions_list(site_root: Path, show_all: bool) -> None:
    """Questions waiting for an answer, oldest first, with their age."""
    from generator.questions import STATUSES, waiting

    config = _questions_config(site_root)
    rows, findings = waiting(site_root, config, datetime.now(timezone.utc), STATUSES if show_all else ("pending",))
    echo_findings(findings)
    for row in rows:
        on = f" (on {row.post})" if row.post else ""
        status = f"{row.status:<9} " if show_all else ""
        click.echo(f"{row.days:>4} d  {status}{row.path}{on}\n        {row.title}")
    what = "question" if show_all else "waiting question"
    click.echo(f"{len(rows)} {what}{'s' * (len(rows) != 1)}.")
    if has_errors(findings):
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
