"""``python -m jobs``: the same as the ``paperbot`` console script.

Prefer this to ``python -m jobs.cli``, which would load the CLI module twice
(once as ``__main__``, once as ``jobs.cli`` when command modules import it)."""

from jobs.cli import main

main()
