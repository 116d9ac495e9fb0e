"""Entry point of the PyInstaller bundle (see rnnviz.spec): the ``rnnviz`` command, GUI and CLI.

rnnviz.cli.main (rnnviz/cli/__init__.py) calls multiprocessing.freeze_support() before anything else.
"""

import sys

from rnnviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
