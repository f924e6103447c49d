"""The ``massincidents`` console script (also ``python -m massincidents``).

The entry point is this small module rather than :data:`massincidents.cli.app`
so that nothing heavy is imported before the ``try`` below: the command line
(typer, rich) and the commands' own imports (pandas, scipy) take a second or
more, and Ctrl-C pressed meanwhile ends with one line and exit code 130
(:data:`massincidents.cli.EXIT_INTERRUPTED`), never a traceback.
"""

from __future__ import annotations

import sys

#: Exit code of an interrupted command (the same as ``cli.EXIT_INTERRUPTED``,
#: which cannot be imported before the ``try``).
EXIT_INTERRUPTED = 130


def main() -> None:
    """Run the command line; Ctrl-C at any point exits 130 without a traceback."""
    try:
        from massincidents.cli import app

        app()
    except KeyboardInterrupt:
        sys.stderr.write("massincidents: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
