"""Schema v8 (issue 15): planning a broadcast writes next to the rows it adds.

Until v7 ``deliveries`` was keyed ``(chat_id, arxiv_id)``. Planning a paper for N
subscribers put one entry at the end of each subscriber's run of that key: N different
pages of an index that holds every delivery ever made, each one read, dirtied and
written to the WAL. At 1 M papers (2.4 M rows) that is ~40 MB written per paper and
language for 10 k subscribers, against ~8 MB with a small history: the planner's cost
grew with history.

v8 keys the table ``(arxiv_id, chat_id)``: a paper's rows sit together, so its audience
is written to a few adjacent pages whatever the history. What looked rows up by chat
and was not a single (chat, paper) row — a digest's pending rows, a subscriber leaving,
the schedule trigger moving pending rows between senders — reads the partial index
``deliveries_pending_chat (chat_id) where state = 'pending'``, which holds only what
is due.

SQLite cannot change a table's primary key in place: the table is rebuilt in one
transaction (rowids kept: they are the plan order), and the indexes and triggers on it,
and the triggers elsewhere that name it, are created again from their stored SQL.
"""

from __future__ import annotations

import sqlite_utils

KEY = ("arxiv_id", "chat_id")
PENDING_BY_CHAT = ("create index if not exists deliveries_pending_chat on deliveries(chat_id) "
                   "where state = 'pending'")


def primary_key(db: sqlite_utils.Database, table: str = "deliveries") -> tuple[str, ...]:
    cols = [r for r in db.execute(f"pragma table_info({table})") if r[5]]
    return tuple(r[1] for r in sorted(cols, key=lambda r: r[5]))


def _column(row: tuple) -> str:
    _, name, decl, notnull, default, _ = row
    out = f'"{name}" {decl}'.rstrip()
    if notnull:
        out += " not null"
    if default is not None:
        out += f" default {default}"
    return out


def _rebuild(db: sqlite_utils.Database) -> None:
    info = list(db.execute("pragma table_info(deliveries)"))
    names = ", ".join(f'"{r[1]}"' for r in info)
    # dropped with the table (its indexes and triggers) or in the way of the rename (a
    # trigger of another table that writes to it): created again afterwards
    again = [(kind, name, sql) for kind, name, sql in db.execute(
        "select type, name, sql from sqlite_master where sql is not null and "
        "((type in ('index', 'trigger') and tbl_name = 'deliveries') "
        "or (type = 'trigger' and sql like '%deliveries%')) order by type = 'trigger', name")]
    db.execute("create table deliveries_v8 (" + ", ".join(_column(r) for r in info)
               + f", primary key ({', '.join(KEY)}))")
    db.execute(f"insert into deliveries_v8(rowid, {names}) select rowid, {names} "
               "from deliveries order by arxiv_id, chat_id")
    for kind, name, _ in again:
        if kind == "trigger":
            db.execute(f'drop trigger if exists "{name}"')
    db.execute("drop table deliveries")
    db.execute("alter table deliveries_v8 rename to deliveries")
    for _, _, sql in again:
        db.execute(sql)


def migrate_delivery_key(db: sqlite_utils.Database) -> None:
    # the key is checked under the write lock: a second process migrating at the same
    # time waits for the first and then finds the table rebuilt; a run killed half-way
    # rolled back and rebuilds again
    db.conn.execute("begin immediate")
    try:
        if primary_key(db) != KEY:
            _rebuild(db)
        db.execute(PENDING_BY_CHAT)
    except BaseException:
        db.conn.execute("rollback")
        raise
    db.conn.execute("commit")
