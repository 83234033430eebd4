"""``python -m jobs``: the same as the ``paperbot`` console script (and ``python -m
jobs.cli``). The service starts its crawl child this way."""

from jobs.cli import main

main()
