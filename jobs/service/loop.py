"""The :class:`Service` of ``paperbot run`` (see :mod:`jobs.service`): start (state-dir
lock, database, LLM client, summarizer, bot), schedule the jobs, systemd's watchdog, the
heartbeat and status line, and stop. The jobs themselves are
:class:`~jobs.service.scheduled_jobs.ScheduledJobs`; the crawl subprocess is
:class:`~jobs.service.crawl_child.CrawlChild`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs import store
from jobs.config import Config, Secrets
from jobs.service import failures
from jobs.service.clock import first_crawl_at, iso, utc
from jobs.service.crawl_child import CrawlChild
from jobs.service.lock import EX_TEMPFAIL, LockBusy, service_lock
from jobs.service.logs import RedactingFormatter
from jobs.service.scheduled_jobs import ScheduledJobs
from jobs.service.sdnotify import Notifier
from jobs.store import crawl as crawl_store
from jobs.store import health as hstore

log = logging.getLogger("paperbot.service")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
STOP_GRACE = 2.5  # seconds the running jobs get to finish after a stop request
BOT_STOP_TIMEOUT = 3.0


class Service(ScheduledJobs, CrawlChild):
    def __init__(self, config: Config, secrets: Secrets, *, no_bot: bool = False,
                 notifier: Notifier | None = None, log_level: str | None = None) -> None:
        self.config = config
        self.secrets = secrets
        self.no_bot = no_bot
        self.notifier = notifier or Notifier()
        self.log_level = (log_level or config.log_level).upper()
        self.db: Any = None
        self.app: Any = None  # telegram.ext.Application
        self.llm: Any = None
        self.summarizer: Any = None  # jobs.steps.summarize.Summarizer (scheduled + on demand)
        self.scheduler: AsyncIOScheduler | None = None
        self.exit_code = EXIT_OK
        self.started_at = utc()
        self._stop = asyncio.Event()  # set: stop everything (delivery stops between messages)
        self._stopping = False
        self._tasks: dict[str, asyncio.Task] = {}
        self._child: asyncio.subprocess.Process | None = None
        self._crawl_lock = asyncio.Lock()
        self._summarize_lock = asyncio.Lock()
        self._send_lock = asyncio.Lock()
        self._alert_lock = asyncio.Lock()
        self._deliver_dirty = False
        self._last_crawl: dict[str, Any] = {}
        self._state_trouble: dict[str, str] = {}  # job → the state-directory problem it hit
        self._formatter = next((h.formatter for h in logging.getLogger().handlers
                                if isinstance(h.formatter, RedactingFormatter)), None)

    # -- lifecycle -------------------------------------------------------------------
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, sig.name)
        lock = service_lock(self.config.state_dir)
        try:
            lock.acquire()
        except LockBusy as exc:
            log.error("another paperbot run uses state directory %s (%s); exiting",
                      self.config.state_dir, exc.holder or "holder unknown")
            return EX_TEMPFAIL
        watchdog: asyncio.Task | None = None
        try:
            self.db = store.open_db(self.config.db_path)
            crawl_store.sync_sources(self.db, self.config.sources)
            await self._start_components()
            if not self._stop.is_set():
                self._start_scheduler()
                watchdog = asyncio.create_task(self._watchdog(), name="watchdog")
                self._heartbeat()
                self.notifier.ready(self._status_line())
                log.info("paperbot running (pid %d, bot %s, llm %s): %s", os.getpid(),
                         "on" if self.app else "off", "on" if self.llm else "fallback only",
                         self._status_line())
            await self._stop.wait()
        except store.StateDirError as exc:  # at start-up: systemd restarts us later
            log.error("paperbot run cannot start: %s", exc)
            self.exit_code = exc.exit_code
        except Exception as exc:
            # one readable line (cause first); the traceback only for --log-level DEBUG
            log.error("paperbot run failed: %s", failures.describe(exc))
            log.debug("traceback of the failure", exc_info=True)
            self.exit_code = failures.exit_code(exc)
        finally:
            await self._shutdown()
            if watchdog is not None:
                watchdog.cancel()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            lock.release()
        log.info("paperbot stopped (exit %d)", self.exit_code)
        return self.exit_code

    def request_stop(self, why: str = "request", code: int | None = None) -> None:
        if code is not None and self.exit_code == EXIT_OK:
            self.exit_code = code
        if self._stop.is_set():
            return
        log.info("stopping (%s)", why)
        self.notifier.stopping(f"stopping ({why})")
        self._stop.set()

    async def _start_components(self) -> None:
        from jobs.clients.llm import build_client
        from jobs.steps.summarize import Summarizer

        self.llm = build_client(self.config, self.secrets)
        self.summarizer = Summarizer(self.db, config=self.config, client=self.llm,
                                     on_alert=self._on_alert, on_upgraded=self._on_upgraded)
        if self.no_bot:
            log.info("--no-bot: no Telegram bot; nothing is delivered, alerts go to the log")
            return
        from bot.app import build_application, start_bot
        from jobs.steps.deliver import sync_channels

        self.app = build_application(config=self.config, token=self.secrets.telegram_bot_token,
                                     db=self.db)
        self.app.bot_data["run_crawl"] = self.crawl_now
        self.app.bot_data["status_text"] = self.status_text
        self.app.bot_data["summarizer"] = self.summarizer
        await start_bot(self.app, poll_timeout=10.0)
        if self.config.telegram.channels:
            result = await sync_channels(self.db, bot=self.app.bot, config=self.config)
            log.info("channels synced: %s", result)

    def _start_scheduler(self) -> None:
        cfg = self.config.schedule
        now = utc()
        every = cfg.crawl_every_minutes
        sched = AsyncIOScheduler(timezone=dt.UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
        first = first_crawl_at(hstore.last_crawl_started(self.db), now, every)
        # a crawl late by up to half an interval still runs (coalesced into one)
        sched.add_job(self._job("crawl", self._crawl_job), IntervalTrigger(
            minutes=every, jitter=int(cfg.jitter_seconds) or None, timezone=dt.UTC),
            id="crawl", name="crawl", next_run_time=first,
            misfire_grace_time=max(1, int(every * 30)))
        sched.add_job(self._job("summarize", self._summarize_job),
                      DateTrigger(now + dt.timedelta(seconds=0.2)), id="summarize",
                      name="summarize (start)", misfire_grace_time=None)
        if self.app is not None:
            sched.add_job(self._job("deliver", self._deliver_job), IntervalTrigger(
                seconds=cfg.delivery_poll_seconds, timezone=dt.UTC), id="deliver",
                name="deliver", next_run_time=now + dt.timedelta(seconds=0.5),
                misfire_grace_time=max(1, int(cfg.delivery_poll_seconds)))
            sched.add_job(self._job("digests", self._digest_job),
                          CronTrigger(second=5, timezone=dt.UTC), id="digests", name="digests",
                          misfire_grace_time=55)
        sched.add_job(self._job("heartbeat", self._heartbeat_job), IntervalTrigger(
            seconds=max(1.0, cfg.watchdog_seconds / 2), timezone=dt.UTC), id="heartbeat",
            name="heartbeat", misfire_grace_time=None)
        sched.start()
        self.scheduler = sched

    def _job(self, name: str, fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """Wrap a job: tracked (the stop sequence waits for it), never raising into
        APScheduler, skipped once stopping."""

        async def run() -> None:
            if self._stop.is_set():
                return
            task = asyncio.current_task()
            self._tasks[name] = task
            try:
                await fn()
            except asyncio.CancelledError:
                if not self._stop.is_set():
                    raise
                log.info("%s: cancelled by the stop", name)
            except Exception as exc:
                self._job_failed(name, exc)
            else:
                if self._state_trouble.pop(name, None):
                    log.info("%s: the state directory works again", name)
            finally:
                if self._tasks.get(name) is task:
                    del self._tasks[name]

        run.__name__ = f"paperbot_{name}"
        return run

    def _job_failed(self, name: str, exc: Exception) -> None:
        """A full or read-only state directory is one line per job until it works again
        (every job retries on its own schedule, so the service rides it out); anything
        else is a bug and gets its traceback."""
        problem = store.state_problem(exc, self.config.state_dir)
        if problem is None:
            log.error("%s job failed", name, exc_info=exc)
        elif name not in self._state_trouble:
            self._state_trouble[name] = str(problem)
            log.error("%s: %s; retrying", name, problem)

    async def _shutdown(self) -> None:
        self._stopping = True
        self._stop.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()  # nothing new starts; running jobs are not cancelled
        waits = [self._stop_child("service stopping"), self._wait_jobs()]
        await asyncio.gather(*waits, return_exceptions=True)
        if self.app is not None:
            from bot.app import stop_bot

            try:
                await asyncio.wait_for(stop_bot(self.app), BOT_STOP_TIMEOUT)
            except (TimeoutError, Exception) as exc:  # stopping anyway
                log.warning("bot did not stop cleanly: %r", exc)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.llm is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.llm.close(), 1.0)
        if self.db is not None:
            with contextlib.suppress(Exception):
                self._heartbeat(stopped=True)
            self.db.conn.close()
            self.db = None
        self.notifier.close()

    async def _wait_jobs(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in pending:
            task.cancel()
        if pending:
            log.info("cancelled at stop: %s", ", ".join(t.get_name() for t in pending))
            await asyncio.wait(pending, timeout=1.0)

    async def _watchdog(self) -> None:
        interval = self.notifier.watchdog_interval()
        if interval is None:
            return
        log.info("systemd watchdog: pinging every %.1fs", interval)
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    # -- heartbeat, status ------------------------------------------------------
    def next_runs(self) -> dict[str, str | None]:
        if self.scheduler is None:
            return {}
        return {job.id: iso(job.next_run_time) for job in self.scheduler.get_jobs()}

    def _status_line(self) -> str:
        nxt = self.next_runs().get("crawl")
        running = ", ".join(sorted(self._tasks)) or "idle"
        return f"{running}; next crawl {nxt or 'not scheduled'}"

    def _heartbeat(self, *, stopped: bool = False) -> None:
        beat = {
            "pid": os.getpid(),
            "at": iso(utc()),
            "started_at": iso(self.started_at),
            "interval_seconds": max(1.0, self.config.schedule.watchdog_seconds / 2),
            "next_runs": {} if stopped else self.next_runs(),
            "running": sorted(self._tasks),
            "bot": self.app is not None,
            "llm": self.llm is not None,
            "last_crawl": self._last_crawl,
            "stopped_at": iso(utc()) if stopped else None,
        }
        try:
            hstore.write_heartbeat(self.db, beat)
        except Exception as exc:  # best effort: a full disk must not stop what it reports on
            if store.state_problem(exc, self.config.state_dir) is None:
                raise
            self._job_failed("heartbeat-write", exc)
        else:
            if self._state_trouble.pop("heartbeat-write", None):
                log.info("heartbeat: the state directory works again")
        if not stopped:
            self.notifier.status(self._status_line())

    async def status_text(self) -> str:
        from jobs.status import render_status_text, status_report

        self._heartbeat()
        return render_status_text(status_report(self.db, self.config))


def run_service(config: Config, secrets: Secrets, *, no_bot: bool = False,
                log_level: str | None = None) -> int:
    """Run until SIGTERM/SIGINT; the process exit code."""
    return asyncio.run(Service(config, secrets, no_bot=no_bot, log_level=log_level).run())
