"""The `giving` command: parse arguments, call the pipeline, print findings and a summary.

Exit codes: 0 success, 1 content or build errors, 2 usage errors (click's own). No build logic here.
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


def echo_findings(findings: list[Finding] | tuple[Finding, ...]) -> None:
    colours = {"error": "red", "warning": "yellow", "info": "blue"}
    for finding in findings:
        text = finding.format()
        click.secho(text, err=True, fg=colours[finding.severity])


def _counts(findings) -> str:
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
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
def build(site_root: Path, out: Path | None, drafts: bool, future: bool, strict: bool) -> None:
    """Build the site into the output folder, replacing it only if the build succeeds."""
    from generator.build import Progress, build as run_build
    from generator.fs import write_output
    from generator.site import BuildOptions
    import time

    out = out if out is not None else site_root / "public"
    options = BuildOptions(now=datetime.now(timezone.utc), drafts=drafts, future=future)
    started = time.perf_counter()
    with _progress_bar() as progress:
        result = run_build(site_root, options, progress)
    findings = result.findings
    echo_findings(findings)
    failed = has_errors(findings) or (strict and any(f.severity == "warning" for f in findings))
    if failed:
        why = " (--strict: warnings count as errors)" if strict and not has_errors(findings) else ""
        click.secho(f"Build failed: {_counts(findings)}{why}; {out} was left as it was.", err=True, fg="red")
        sys.exit(1)
    try:
        write_output(out, result.outputs, site_root)
    except GivingError as exc:
        echo_findings(exc.findings)
        sys.exit(1)
    elapsed = time.perf_counter() - started
    pages = sum(1 for p in result.outputs if p.endswith(".html"))
    click.echo(f"Built {pages} pages ({len(result.outputs)} files) into {out} in {elapsed:.2f} s; "
               f"{_counts(findings)}.")


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
            if self.task is None and time.perf_counter() - began > 0.5:
                self.bar.start()
                self.task = self.bar.add_task("Building", total=self.total)
            if self.task is not None:
                self.bar.advance(self.task)

        self.total = 0
        return Progress(start, advance)

    def __exit__(self, *exc) -> None:
        if getattr(self, "task", None) is not None:
            self.bar.stop()


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


if __name__ == "__main__":  # pragma: no cover
    main()
