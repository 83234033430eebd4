"""The crawl subprocess of ``paperbot run``: ``python -m jobs crawl once --source …``,
its environment (no secrets), its time limit and its stop (SIGTERM → SIGTERM → SIGKILL)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from jobs import store
from jobs.config import Config
from jobs.service.clock import iso, utc
from jobs.service.lock import EX_TEMPFAIL
from jobs.service.logs import RedactingFormatter, relay_log_records
from jobs.store import health as hstore

log = logging.getLogger("paperbot.service")

CHILD_TERM_GRACE = 2.0  # SIGTERM → second SIGTERM → SIGKILL, this long apart
SECRET_ENV = ("TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL", "CREDENTIALS_DIRECTORY",
              "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


def crawl_command(config: Config, sources: list[str], *, log_level: str) -> list[str]:
    cmd = [sys.executable, "-m", "jobs"]
    if config.path is not None:
        cmd += ["--config", str(config.path.resolve())]
    cmd += ["--log-level", log_level, "crawl", "once"]
    for name in sources:
        cmd += ["--source", name]
    return cmd


def child_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The crawl child's environment: no secrets (it needs none), no systemd sockets."""
    env = dict(os.environ if environ is None else environ)
    for key in SECRET_ENV:
        env.pop(key, None)
    return env


class CrawlChild:
    """The crawl-child part of :class:`jobs.service.loop.Service` (a mixin: it runs on
    the service's config, database, log level and heartbeat)."""

    config: Config
    db: Any
    log_level: str
    _child: asyncio.subprocess.Process | None
    _last_crawl: dict[str, Any]
    _formatter: RedactingFormatter | None

    async def _run_crawl_child(self, sources: list[str], *, reason: str) -> str:
        cmd = crawl_command(self.config, sources, log_level=self.log_level)
        launched = iso(utc())
        limit = self.config.schedule.crawl_time_limit_minutes * 60
        log.info("crawl (%s): %d source(s): %s", reason, len(sources), ", ".join(sources))
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, env=child_env(), limit=1 << 20)
        self._child = proc
        relay = asyncio.create_task(relay_log_records(proc.stderr, self._write_child_record),
                                    name="crawl-log-relay")
        self._last_crawl = {"pid": proc.pid, "started_at": launched, "sources": sources}
        self._heartbeat()
        try:
            try:
                code = await asyncio.wait_for(asyncio.shield(proc.wait()), limit)
            except TimeoutError:
                log.error("crawl exceeded its time limit (%.0fs): stopping it", limit)
                await self._stop_child(f"killed: crawl time limit of {limit:.0f}s",
                                       count_failure=True)
                code = proc.returncode
        finally:
            if self._child is proc:
                self._child = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(relay), 1.0)
        runs = hstore.runs_of_pid(self.db, proc.pid, launched)
        failed = [r for r in runs if not r["ok"]]
        papers = sum(r["papers_new"] or 0 for r in runs)
        if code == EX_TEMPFAIL:
            result = "another crawl is running (started by hand?): this run was skipped"
            log.warning("crawl: %s", result)
        elif code in (store.EX_CANTCREAT, store.EX_IOERR) and not runs:
            result = "the state directory is unusable (full or read-only): nothing crawled"
            log.error("crawl: %s", result)
        else:
            result = (f"{len(runs) - len(failed)} of {len(runs)} source(s) ok, {papers} new "
                      f"paper(s)" + ("; failed: " + "; ".join(
                          f"{r['source']} ({(r['error'] or '?')[:120]})" for r in failed)
                          if failed else ""))
            log.info("crawl finished (exit %s): %s", code, result)
        self._last_crawl.update(finished_at=iso(utc()), exit=code, result=result)
        return result

    def _write_child_record(self, text: str) -> None:
        fmt = self._formatter
        line = fmt.redact(text) if fmt is not None else text
        try:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    async def _stop_child(self, why: str, *, count_failure: bool = False) -> None:
        """SIGTERM (Scrapy stops gracefully), again (Scrapy's forced stop, runs still
        recorded), then SIGKILL; runs the child could not close are closed as failed."""
        proc = self._child
        if proc is None or proc.returncode is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGTERM, signal.SIGKILL):
            if proc.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            try:
                await asyncio.wait_for(asyncio.shield(proc.wait()), CHILD_TERM_GRACE)
                break
            except TimeoutError:
                continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(proc.wait()), 1.0)
        if self.db is not None:
            closed = hstore.close_abandoned_runs(self.db, proc.pid, why,
                                                 count_failure=count_failure)
            if closed:
                log.warning("crawl child %d stopped (%s): %d run(s) closed as failed",
                            proc.pid, why, closed)

