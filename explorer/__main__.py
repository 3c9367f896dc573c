"""`explore` and `python -m explorer`: signal handling first, then the (slower) imports and the command."""

from __future__ import annotations

import sys


def run() -> None:
    from explorer.search import interrupts

    interrupts.install()  # a signal during the imports below still ends the run cleanly
    try:
        from explorer.cli import main
    except Exception as e:  # a broken install or environment (a library that cannot load): one line, exit 3
        import os

        if os.environ.get("EXPLORE_DEBUG"):
            raise
        sys.stderr.write(f"explore: internal error, please report: {type(e).__name__}: {e}\n")
        sys.exit(3)
    sys.exit(main())


if __name__ == "__main__":
    run()
