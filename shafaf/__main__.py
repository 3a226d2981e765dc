"""``python -m shafaf``: the command line."""

from shafaf.cli import main

main()
