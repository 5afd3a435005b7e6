"""``python -m cosim`` runs the command line."""

import sys

from cosim.cli import main

if __name__ == "__main__":  # importing the module (API docs, doctest collection) runs nothing
    sys.exit(main())
