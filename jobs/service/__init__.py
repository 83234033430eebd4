"""``paperbot run``: the whole loop in one asyncio process, unattended and restart-safe.

What runs (APScheduler 3 ``AsyncIOScheduler``, jobs built from the config at start, no
job store; every job ``coalesce=True``, ``max_instances=1``):

* ``crawl`` every ``[schedule] crawl_every_minutes`` ± ``jitter_seconds``: the due
  sources (failing ones are backed off, see :mod:`jobs.service.health`) are crawled by a
  **subprocess** (``python -m jobs crawl once --source …``), which takes the crawl lock
  itself, so a crawl started by hand is never doubled. Time limit
  ``crawl_time_limit_minutes``, then SIGTERM, a second SIGTERM (Scrapy's forced stop,
  which still records the runs), then SIGKILL. The first crawl after a (re)start waits
  for the rest of the interval since the last recorded crawl, so restarts never hammer
  the sources. After each crawl: health and alerts, then summarize, then deliver.
* ``summarize`` once at start (and after every crawl): the papers to be pushed, with
  one :class:`jobs.steps.summarize.Summarizer` (the ``AsyncOpenAI`` client) that the bot
  shares for summaries on demand (/latest, /paper, a new language's window, messages
  just sent with the fallback layout); good summaries arriving edit those messages
  (:mod:`jobs.steps.edits`).
* ``deliver`` every ``delivery_poll_seconds`` (and right after each summarize): plan the
  ledger rows, then send them (:func:`jobs.steps.deliver.deliver_pending`).
* ``digests`` every minute: digest subscribers whose local hour has come.
* ``heartbeat`` every ``watchdog_seconds / 2``: writes pid, time and next runs to
  ``meta`` (``paperbot status`` shows them), flushes admin alerts.

systemd: ``READY=1`` once the bot polls and the jobs are scheduled, ``WATCHDOG=1`` from
the event loop at half of ``WatchdogSec`` (a blocked loop stops the pings and systemd
restarts the service), ``STATUS=…`` lines, ``STOPPING=1`` on the way out.

Stop (SIGTERM / SIGINT): no new job starts, the delivery in flight finishes its current
message and records it, the crawl child is stopped (SIGTERM → SIGKILL), other jobs get
:data:`~jobs.service.loop.STOP_GRACE` seconds then are cancelled (summaries are written
row by row), the bot stops polling, the DB is closed: exit 0 in well under
``TimeoutStopSec``.

Modules: :mod:`.loop` (the :class:`~jobs.service.loop.Service`: start, scheduler,
heartbeat, stop), :mod:`.scheduled_jobs` (what the jobs do: crawl, summarize, deliver,
digests, alerts), :mod:`.crawl_child` (the crawl subprocess: command, environment, time
limit, stop), :mod:`.logs` (one-line redacted log records, the child's log relay),
:mod:`.health` (source back-off and alerts), :mod:`.sdnotify` (systemd), :mod:`.lock`
(one crawler and one service per state directory). This package imports none of them, so
``jobs.service.lock`` stays light for ``paperbot crawl once``.
"""
