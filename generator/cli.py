"""The `giving` command's entry point (`giving = "generator.cli:main"`; `python -m generator` too).

`main` stands for the click command group in generator/commands.py, which is imported only when it is
needed: a `giving build` whose output is already up to date (generator/uptodate.py) is answered before
click, Jinja or anything else is imported, so it costs little more than the interpreter's start; one
after posts were edited in place (generator/patch.py) is answered before click too.
Everything else (and every use of `main` as a click command, as tests do with CliRunner) goes to the
group unchanged.
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
        return _group()(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(_group(), name)

    def __repr__(self) -> str:
        return "<giving command line>"


main = _Main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
