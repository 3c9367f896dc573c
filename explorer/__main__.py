"""`explore` and `python -m explorer`: signal handling first, then the (slower) imports and the command."""

from __future__ import annotations

import sys


def run() -> None:
    from explorer.search import interrupts

    interrupts.install()  # a signal during the imports below still ends the run cleanly
    from explorer.cli import main

    sys.exit(main())


if __name__ == "__main__":
    run()
