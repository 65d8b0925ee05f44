"""``python -m msrsim``: the same as the ``msrsim`` command."""

from msrsim.cli import main

main()
