"""The `giving` command's entry point (`giving = "generator.cli:main"`; `python -m generator` too).

`main` stands for the click command group in generator/commands.py, which is imported only when it is
needed: a `giving build` whose output is already up to date (generator/uptodate.py) is answered before
click, Jinja or anything else is imported, so it costs little more than the interpreter's start; one
after posts were edited in place (generator/patch.py) is answered before click too.
Everything else (and every use of `main` as a click command, as tests do with CliRunner) goes to the
group unchanged. A `giving build` from the command line ends with `os._exit` once its output is
written, skipping the interpreter's teardown of the build's heap (see `_leave`).
"""

import sys


def _group():
    from generator.commands import main as group

    return group


class _Main:
    """Calling it with no arguments runs the command line as click would, after the up-to-date check;
    anything else (attributes, calls with arguments) is the click group's."""

    def __call__(self, *args, **kwargs):
        if not args and not kwargs:
            from generator import __version__
            from generator.uptodate import replay

            if replay(sys.argv[1:], __version__):
                return 0
            if sys.argv[1:2] == ["build"]:
                from generator.patch import run

                if run(sys.argv[1:], __version__):
                    return 0
                try:
                    code = _group()()
                except SystemExit as exc:
                    code = exc.code
                _leave(code)
        return _group()(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(_group(), name)

    def __repr__(self) -> str:
        return "<giving command line>"


def _leave(code) -> None:
    """End a finished `giving build` as `sys.exit(code)` would, without tearing the interpreter down:
    freeing a build's heap object by object (the site, Jinja's environment, the caches) takes longer
    than some whole builds (~0.1 s at 1,000 posts). By now every file is written and closed, every
    thread joined and every child waited for; only the standard streams need flushing."""
    import os

    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`giving build | head`): as Python's own exit
            code = code or 120
    os._exit(code)


main = _Main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
