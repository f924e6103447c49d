"""The ``massincidents`` console script (also ``python -m massincidents``).

The entry point is this small module rather than :data:`massincidents.cli.app`
so that nothing heavy is imported before the ``try`` below: the command line
(typer, rich) and the commands' own imports (pandas, scipy) take a second or
more, and Ctrl-C pressed meanwhile ends with one line and exit code 130
(:data:`massincidents.cli.EXIT_INTERRUPTED`), never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

#: Exit code of an interrupted command (the same as ``cli.EXIT_INTERRUPTED``,
#: which cannot be imported before the ``try``).
EXIT_INTERRUPTED = 130


INTERRUPTED = "massincidents: interrupted\n"


def main() -> None:
    """Run the command line; Ctrl-C at any point exits 130 without a traceback."""
    sys.unraisablehook = _interrupt_again
    try:
        from massincidents.cli import app

        app()
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED)
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit as done:
        # typer turns Ctrl-C while it parses the arguments (it imports pydantic then) or
        # runs a command into ``Exit(130)`` and exits without a word: say it
        if done.code == EXIT_INTERRUPTED and _from_ctrl_c(done):
            sys.stderr.write(INTERRUPTED)
        raise


def _interrupt_again(unraisable: Any, default: Any = sys.__unraisablehook__) -> None:
    """Raise a Ctrl-C again that Python swallowed in a ``__del__`` or weakref callback.

    Python cannot raise from those (a garbage collection, an import lock freed): it
    prints "Exception ignored in ..." with a traceback and goes on, and the command
    ran to its end as if Ctrl-C had not been pressed. Here the interrupt is raised
    again at the next Python call or return outside this hook, where it stops the
    command (a profile function's exception propagates into the running code).
    """
    if unraisable.exc_type is None or not issubclass(unraisable.exc_type, KeyboardInterrupt):
        default(unraisable)
        return
    hook = sys._getframe().f_code

    def raise_at_next_event(frame: Any, event: str, arg: Any) -> None:
        if frame.f_code is hook or arg is sys.setprofile:
            return
        sys.setprofile(None)
        raise KeyboardInterrupt

    sys.setprofile(raise_at_next_event)


def _from_ctrl_c(done: SystemExit) -> bool:
    """Whether typer's exit was raised from a KeyboardInterrupt (not from our own message)."""
    exit_ = done.__context__
    return exit_ is not None and isinstance(exit_.__cause__, KeyboardInterrupt)


if __name__ == "__main__":
    main()
