"""``paperbot status``: one dict built from each step's own counters (JSON or text)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlite_utils

from jobs.config import Config
from jobs.store import crawl as crawl_store
from jobs.store import summaries as summaries_store

_SERVICE_KEYS = ("summaries_pending", "summaries_queueing", "deliveries", "telegram_outage",
                 "subscribers", "alerts", "alerts_undelivered", "service", "llm")


def status_report(db: sqlite_utils.Database, config: Config) -> dict[str, Any]:
    report: dict[str, Any] = {
        "database": str(config.db_path),
        "sources": crawl_store.source_health(db),
    }
    report.update(crawl_store.crawl_counts(db))
    report["unresolved_by_source"] = _unresolved(db)
    report["llm"] = summaries_store.summary_status(db, config)
    report.update(service_sections(db, config))
    return report


def _unresolved(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
    """Open link-less entries per source and reason ("no-match", "ambiguous", "pending"…)."""
    from jobs.store import arxiv as arxiv_store

    out: dict[str, dict[str, int]] = {}
    for row in arxiv_store.unresolved_summary(db):
        out.setdefault(row["source"], {})[row["reason"] or "pending"] = row["entries"]
    return out


def service_sections(db: sqlite_utils.Database, config: Config,
                     now: dt.datetime | None = None) -> dict[str, Any]:
    """The service's part of the status: summaries pending per language, deliveries,
    subscribers, open alerts, and the running service's heartbeat (next runs)."""
    from jobs.store import delivery as delivery_store
    from jobs.store import health as health_store
    from jobs.store import subscribers as subscribers_store
    from jobs.store import summary_due

    now = now or dt.datetime.now(dt.UTC)
    out: dict[str, Any] = {
        # papers to be pushed without a summary yet (archived ones wait for a reader);
        # None: not queued yet; for a language in summaries_queueing, a lower bound
        "summaries_pending": summaries_store.pending_counts(db, config),
        "summaries_queueing": summary_due.filling(db),
        "deliveries": delivery_store.state_counts(db),
        "telegram_outage": delivery_store.outage(db),
        "subscribers": subscribers_store.counts(db),
        "alerts": health_store.open_alerts(db),
        "alerts_undelivered": health_store.undelivered_alert_sends(db),
    }
    beat = health_store.read_heartbeat(db)
    service: dict[str, Any] = {"running": False, "heartbeat": beat}
    if beat:
        age = (now - dt.datetime.fromisoformat(beat["at"])).total_seconds()
        interval = float(beat.get("interval_seconds") or config.schedule.watchdog_seconds)
        service["heartbeat_age_seconds"] = round(age, 1)
        service["running"] = not beat.get("stopped_at") and age < 3 * interval + 5
    out["service"] = service
    return out


def _service_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    svc = report.get("service") or {}
    beat = svc.get("heartbeat") or {}
    if svc.get("running"):
        lines.append(f"service: running (pid {beat.get('pid')}, since {beat.get('started_at')}, "
                     f"heartbeat {svc.get('heartbeat_age_seconds')}s ago)")
        for job, at in sorted((beat.get("next_runs") or {}).items()):
            lines.append(f"  next {job:<10} {at or '-'}")
        last = beat.get("last_crawl") or {}
        if last:
            lines.append(f"  last crawl {last.get('started_at')}: {last.get('result', 'running')}")
    elif beat:
        lines.append(f"service: NOT RUNNING (last heartbeat {beat.get('at')}"
                     + (", stopped cleanly" if beat.get("stopped_at") else "") + ")")
    else:
        lines.append("service: never ran (`paperbot run`)")
    if "deliveries" in report:
        d = report["deliveries"]
        lines.append(f"deliveries: pending={d.get('pending', 0)} (waiting for a retry: "
                     f"{d.get('retrying', 0)}), sent today={d.get('sent_today', 0)}, "
                     f"sent={d.get('sent', 0)}, failed={d.get('failed', 0)}, skipped="
                     f"{d.get('skipped', 0)}, ambiguous={d.get('ambiguous', 0)}"
                     + (" (settle with `paperbot deliver ambiguous`)" if d.get("ambiguous")
                        else ""))
    out = report.get("telegram_outage")
    if out:
        lines.append(f"telegram: UNREACHABLE since {out.get('since')} ({out.get('probes')} "
                     f"tries failed, next {out.get('next_probe_at')}): {out.get('last_error')}")
    if "subscribers" in report:
        sub = report["subscribers"]
        per = ", ".join(f"{r['lang']}/{r['mode']}={r['count']}" for r in sub.get("active", []))
        lines.append(f"subscribers: {sub.get('active_total', 0)} active ({per or 'none'}), "
                     f"{sub.get('inactive', 0)} inactive")
    if report.get("summaries_pending"):
        queueing = report.get("summaries_queueing") or []
        lines.append("summaries pending: " + ", ".join(
            f"{k}={'? (not queued yet)' if v is None else v}{'+' if k in queueing else ''}"
            for k, v in report["summaries_pending"].items()))
    for alert in report.get("alerts") or []:
        lines.append(f"ALERT {alert['key']} since {alert['raised_at']}: {alert['message']}")
    for send in report.get("alerts_undelivered") or []:
        lines.append(f"alert {send['alert_key']} NOT delivered to admin chat {send['chat_id']} "
                     f"({send['state']}, {send['retries']} retries): {send['reason']}")
    return lines


def _money(usd: float | None) -> str:
    return "unknown (no [llm] prices for a model used)" if usd is None else f"${usd:,.4f}"


def llm_lines(llm: dict[str, Any]) -> list[str]:
    """The LLM part of the status as readable lines."""
    budget = llm.get("daily_token_budget") or 0
    left = (f"{llm.get('budget_left_today', 0):,} of {budget:,} left today" if budget
            else "no daily budget")
    per_lang = ", ".join(
        f"{lang} {n.get('model', 0):,}" + (f" (+{n['fallback']:,} fallback)"
                                           if n.get("fallback") else "")
        for lang, n in sorted((llm.get("summaries") or {}).items())) or "none yet"
    flagged = ", ".join(f"{lang} {n:,}" for lang, n in sorted(
        (llm.get("flagged_by_lang") or {}).items())) or "none"
    return [
        f"llm: model {llm.get('model')}",
        f"  tokens: {llm.get('tokens_today', 0):,} today, {llm.get('tokens_total', 0):,} "
        f"in total; budget: {left}",
        f"  cost: {_money(llm.get('cost_usd_today'))} today, "
        f"{_money(llm.get('cost_usd_total'))} in total",
        f"  calls today: {llm.get('calls_today', 0):,} ({llm.get('failed_calls_today', 0):,} "
        "failed)",
        f"  summaries: {per_lang}",
        f"  flagged (still in the wrong language): {flagged}",
    ]


def render_status_text(report: dict[str, Any]) -> str:
    """Human-readable status: one line per source, then the counters."""
    lines = [f"database: {report['database']}", "sources:"]
    for src in report["sources"]:
        health = "never run"
        if src.get("consecutive_failures"):
            health = f"FAILING x{src['consecutive_failures']}: {src.get('last_error')}"
        elif src.get("last_success_at"):
            health = f"ok {src['last_success_at']} ({src.get('last_papers') or 0} new papers)"
        if src.get("consecutive_failures") and src.get("backoff_until"):
            health += f" [backed off until {src['backoff_until']}]"
        lines.append(f"  {src['name']:<24} {src['kind']:<10} {health}")
    unresolved = report.get("unresolved_by_source") or {}
    if unresolved:
        lines.append("entries not found on arXiv yet (paperbot papers --unresolved):")
        for source, reasons in unresolved.items():
            detail = ", ".join(f"{reason} {n}" for reason, n in reasons.items())
            lines.append(f"  {source:<24} {sum(reasons.values())} ({detail})")
    lines.extend(_service_lines(report))
    if report.get("llm"):
        lines.extend(llm_lines(report["llm"]))
    for key, value in report.items():
        if key in ("database", "sources", "unresolved_by_source", *_SERVICE_KEYS):
            continue
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
            lines.append(f"{key}: {inner}")
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)
