"""The scheduled jobs of ``paperbot run`` (see :mod:`jobs.service`) and what they start:
crawl (the child through :class:`~jobs.service.crawl_child.CrawlChild`), then health and
alerts, summarize, delivery, the static site; deliver rounds, digests, the fallback
messages' summaries, admin alerts and the heartbeat job."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from jobs import store
from jobs.config import Config
from jobs.service import failures, health
from jobs.service.clock import iso, utc
from jobs.store import health as hstore
from jobs.store.delivery import precise

log = logging.getLogger("paperbot.service")


class ScheduledJobs:
    """The jobs part of :class:`jobs.service.loop.Service` (a mixin: it runs on the
    service's config, database, bot, summarizer, locks and stop event; the service wraps
    each job (``_job``), writes the heartbeat and stops; :class:`CrawlChild` runs the
    crawl subprocess)."""

    config: Config
    db: Any
    app: Any
    summarizer: Any
    _stop: asyncio.Event
    _crawl_lock: asyncio.Lock
    _summarize_lock: asyncio.Lock
    _send_lock: asyncio.Lock
    _alert_lock: asyncio.Lock
    _deliver_dirty: bool
    _job: Callable[[str, Callable[[], Awaitable[None]]], Callable[[], Awaitable[None]]]
    _heartbeat: Callable[..., None]
    _run_crawl_child: Callable[..., Awaitable[str]]
    request_stop: Callable[..., None]

    # -- crawl -----------------------------------------------------------------------
    async def _crawl_job(self) -> None:
        await self.crawl(reason="schedule")

    async def crawl_now(self) -> str:
        """For the admin /crawl command: crawl every enabled source now (back-off
        ignored), then summarize and deliver. Returns a one-line result."""
        if self._crawl_lock.locked():
            return "a crawl is already running"
        return await self.crawl(reason="admin /crawl", force=True)

    async def crawl(self, *, reason: str, force: bool = False) -> str:
        async with self._crawl_lock:
            now = utc()
            if force:
                due = [s.name for s in self.config.sources if s.enabled]
                waiting: list[str] = []
            else:
                due, waiting = health.due_sources(self.db, self.config, now)
            if waiting:
                log.info("crawl: backed off, not crawled this time: %s", ", ".join(waiting))
            if not due:
                result = ("every source is backed off: nothing crawled" if waiting
                          else "no enabled source: nothing to crawl")
                log.info("crawl: %s", result)
            else:
                result = await self._run_crawl_child(due, reason=reason)
            if self._stop.is_set():
                return result
            raised = health.after_crawl(self.db, self.config, utc())
            if raised:
                await self._flush_alerts()
        if self._stop.is_set():
            return result
        await self._summarize()
        self.wake_delivery()
        await self._build_site()
        return result

    async def _build_site(self) -> None:
        """``[site] out_dir`` set: bring the static site up to date after a crawl (in a
        thread, on its own connection; only changed files are rewritten)."""
        if self.config.site.out_dir is None or self._stop.is_set():
            return
        from jobs.site import build_from_config

        def build():
            db = store.open_db(self.config.db_path)
            try:
                return build_from_config(db, self.config)
            finally:
                db.conn.close()

        try:
            log.info("site: %s", await asyncio.to_thread(build))
        except Exception:
            log.exception("site build failed")

    # -- summarize -------------------------------------------------------------------
    async def _summarize_job(self) -> None:
        await self._summarize()
        self.wake_delivery()

    async def _summarize(self) -> None:
        async with self._summarize_lock:
            # it logs its own one-line report
            await self.summarizer.pending()

    async def _on_upgraded(self, pairs: list[tuple[str, str]]) -> None:
        """Good summaries arrived: edit the messages that showed the fallback layout."""
        if self.app is not None:
            from jobs.steps.edits import edit_upgraded

            await edit_upgraded(self.db, self.app.bot, pairs)

    def _summaries_for_fallbacks(self, since: str) -> None:
        """Messages just sent showed some papers with the fallback layout (e.g. archived
        papers in a digest): write those summaries now, in the background."""
        if self.summarizer is None or not self.summarizer.enabled or self._stop.is_set():
            return

        async def run() -> None:
            await self.summarizer.for_waiting_messages(since=since)

        asyncio.get_running_loop().create_task(self._job("summaries-on-demand", run)(),
                                               name="summaries-on-demand")

    async def _on_alert(self, key: str, message: str) -> None:
        if hstore.raise_alert(self.db, key, message):
            await self._flush_alerts()

    # -- delivery --------------------------------------------------------------------
    async def _deliver_job(self) -> None:
        await self._deliver_round()

    def wake_delivery(self) -> None:
        """Plan and send now, in the background (the caller does not wait for a
        broadcast to finish; a round already running goes once more)."""
        if self.app is None or self._stop.is_set():
            return
        if self._send_lock.locked():
            self._deliver_dirty = True
            return
        asyncio.get_running_loop().create_task(self._job("deliver-now", self._deliver_round)(),
                                               name="deliver-now")

    async def _deliver_round(self) -> None:
        """Plan and send until nothing new is pending. A round asked for while one runs
        makes the running one go again (nothing planned meanwhile waits for the poll)."""
        if self.app is None:
            return
        from jobs.steps.deliver import BotUnusable, deliver_pending, plan_deliveries

        self._deliver_dirty = True
        if self._send_lock.locked():
            return
        async with self._send_lock:
            while self._deliver_dirty and not self._stop.is_set():
                self._deliver_dirty = False
                round_started = iso(utc())
                plan_deliveries(self.db, config=self.config)
                try:
                    report = await deliver_pending(self.db, bot=self.app.bot, config=self.config,
                                                   stop=self._stop)
                except BotUnusable as exc:
                    log.error("stopping: %s", failures.describe(exc))
                    self.request_stop("bot unusable", failures.exit_code(exc))
                    return
                if report.messages or report.failed or report.skipped or report.deactivated:
                    log.info("deliver: %s", report)
                if report.messages:
                    self._summaries_for_fallbacks(round_started)
        if health.check_deliveries(self.db, utc()):
            await self._flush_alerts()

    async def _digest_job(self) -> None:
        from jobs.steps.deliver import BotUnusable, send_due_digests

        started = iso(utc())
        async with self._send_lock:
            try:
                report = await send_due_digests(self.db, bot=self.app.bot, config=self.config,
                                                now=utc(), stop=self._stop)
            except BotUnusable as exc:
                log.error("stopping: %s", failures.describe(exc))
                self.request_stop("bot unusable", failures.exit_code(exc))
                return
            if report.messages or report.failed:
                log.info("digests: %s", report)
            if report.messages:
                self._summaries_for_fallbacks(started)
        if self._deliver_dirty:
            await self._deliver_round()

    # -- alerts, heartbeat ---------------------------------------------------------
    async def _flush_alerts(self) -> None:
        """Announce new alerts (log line; a send per admin chat) and send the alert
        messages due, through the bot's pacer like every message (without a bot: the
        log only)."""
        from jobs.steps.deliver import announce_alerts, send_alerts

        admins = self.config.telegram.admin_chat_ids if self.app is not None else []
        announce_alerts(self.db, admins)
        if self.app is None or self._alert_lock.locked():
            return
        async with self._alert_lock:
            report = await send_alerts(self.db, bot=self.app.bot, config=self.config,
                                       stop=self._stop)
        if report.messages or report.failed:
            log.info("alerts: %s", report)

    async def _heartbeat_job(self) -> None:
        self._heartbeat()
        if (health.check_deliveries(self.db, utc()) is not None
                or hstore.alert_sends_due(self.db, now=precise())):
            await self._flush_alerts()
