"""python -m hotloop: the `hotloop` command line (hotloop._cli)."""
import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
