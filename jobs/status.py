"""``paperbot status``: one dict built from each step's own counters (JSON or text)."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from jobs.config import Config
from jobs.store import crawl as crawl_store
from jobs.store import summaries as summaries_store


def status_report(db: sqlite_utils.Database, config: Config) -> dict[str, Any]:
    report: dict[str, Any] = {
        "database": str(config.db_path),
        "sources": crawl_store.source_health(db),
    }
    report.update(crawl_store.crawl_counts(db))
    report["llm"] = summaries_store.summary_status(db, config)
    return report


def render_status_text(report: dict[str, Any]) -> str:
    """Human-readable status: one line per source, then the counters."""
    lines = [f"database: {report['database']}", "sources:"]
    for src in report["sources"]:
        health = "never run"
        if src.get("consecutive_failures"):
            health = f"FAILING x{src['consecutive_failures']}: {src.get('last_error')}"
        elif src.get("last_success_at"):
            health = f"ok {src['last_success_at']} ({src.get('last_papers') or 0} new papers)"
        lines.append(f"  {src['name']:<24} {src['kind']:<10} {health}")
    for key, value in report.items():
        if key in ("database", "sources"):
            continue
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
            lines.append(f"{key}: {inner}")
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)
