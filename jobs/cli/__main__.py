"""``python -m jobs.cli``: the same as ``python -m jobs`` and the ``paperbot`` script."""

from jobs.cli import main

main()
