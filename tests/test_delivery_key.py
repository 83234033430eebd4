"""Schema v8: the ledger keyed (arxiv_id, chat_id), and the planner that writes a paper's
audience in one statement. A v7 database keeps every row, rowid (plan order), counter
and trigger; planning still gives each subscriber exactly what their profile wants."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from jobs import store
from jobs.steps.deliver import plan_deliveries
from jobs.store import delivery as ledger
from jobs.store import delivery_plan as planning
from jobs.store import schema, schema_delivery, schema_hot
from jobs.store import subscribers as subs
from jobs.store.schema_delivery import primary_key
from tests.bot_fixtures import add_subscribers, make_config, seed_paper

OLD = "2000-01-01T00:00:00+00:00"
NOWHERE = type("Stub", (), {"base_url": "http://127.0.0.1:9/bot",
                            "base_file_url": "http://127.0.0.1:9/file/bot"})()


def _v7(path) -> None:
    """A v7 database with a history: rows in every state, a digest reader's rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db["meta"].create({"key": str, "value": str}, pk="key")
    for migration in schema.MIGRATIONS[:7]:
        migration(db)
    db.execute("insert into meta values('schema_version', '7')")
    add_subscribers(db, range(100, 110), now=OLD)
    add_subscribers(db, [200], now=OLD, mode="digest", digest_hour=0)
    for i in range(6):
        seed_paper(db, f"2401.{i:05d}", title=f"Paper {i}")
    plan_deliveries(db, config=make_config(NOWHERE))
    db.execute("update deliveries set state = 'sent', message_id = 7, sent_at = created_at "
               "where arxiv_id < '2401.00003'")
    db.execute("update deliveries set state = 'failed', reason = 'x' "
               "where arxiv_id = '2401.00003' and chat_id < 105")
    db.execute("update deliveries set state = 'ambiguous' where arxiv_id = '2401.00004' "
               "and chat_id = 101")
    assert primary_key(db) == ("chat_id", "arxiv_id")
    conn.close()


def _snapshot(db) -> tuple:
    return (db.execute("select rowid, * from deliveries order by rowid").fetchall(),
            db.execute("select key, sub, n from counts where n != 0 order by 1, 2").fetchall(),
            sorted(r[0] for r in db.execute("select name from sqlite_master where "
                                            "type = 'trigger'")))


def test_a_v7_ledger_is_rekeyed_with_its_rows_counters_and_triggers(tmp_path):
    path = tmp_path / "v7.db"
    _v7(path)
    conn = sqlite3.connect(path, isolation_level=None)
    before = _snapshot(sqlite_utils.Database(conn))
    conn.close()

    db = store.open_db(path)
    assert store.schema_version(db) == schema.SCHEMA_VERSION == 8
    assert primary_key(db) == ("arxiv_id", "chat_id")
    assert _snapshot(db) == before
    assert len(before[0]) == 6 * 11 and before[2]
    # the triggers that came back still work: counters follow a send, and a reader
    # turning to digests takes their pending rows to the digest sender
    assert ledger.claim(db, 105, ["2401.00005"])
    ledger.mark_sent(db, 105, ["2401.00005"], 9)
    db.execute("create temp table expected as select * from counts limit 0")
    schema_hot.recount(db, "temp.expected")
    assert (db.execute("select key, sub, n from counts where n != 0 order by 1, 2").fetchall()
            == db.execute("select key, sub, n from temp.expected where n != 0 "
                          "order by 1, 2").fetchall())
    subs.update_settings(db, 106, mode="digest")
    assert {r[0] for r in db.execute("select digest from deliveries where chat_id = 106 "
                                     "and state = 'pending'")} == {1}
    assert [r["arxiv_id"] for r in ledger.pending_for_chat(db, 200)] == [
        f"2401.{i:05d}" for i in range(3, 6)]  # the others were sent
    # a run killed after the rebuild but before the version was written migrates again
    db.execute("update meta set value = '7' where key = 'schema_version'")
    rows = db.execute("select rowid, * from deliveries order by rowid").fetchall()
    assert schema.migrate(db) == 8
    assert db.execute("select rowid, * from deliveries order by rowid").fetchall() == rows
    db.conn.close()


def test_a_rebuild_that_fails_half_way_leaves_the_v7_ledger(tmp_path, monkeypatch):
    path = tmp_path / "v7.db"
    _v7(path)
    conn = sqlite3.connect(path, isolation_level=None)
    before = _snapshot(sqlite_utils.Database(conn))
    conn.close()
    # the last statement fails after the table was rebuilt: all of it rolls back
    monkeypatch.setattr(schema_delivery, "PENDING_BY_CHAT", "create index broken on nowhere(x)")
    with pytest.raises(sqlite3.OperationalError):
        store.open_db(path)
    conn = sqlite3.connect(path, isolation_level=None)
    old = sqlite_utils.Database(conn)
    assert (store.schema_version(old), primary_key(old)) == (7, ("chat_id", "arxiv_id"))
    assert _snapshot(old) == before
    conn.close()
    monkeypatch.undo()
    db = store.open_db(path)  # the next start migrates
    assert primary_key(db) == ("arxiv_id", "chat_id") and _snapshot(db) == before
    db.conn.close()


def test_planning_writes_everyone_and_the_picky_readers_exactly_once(db):
    add_subscribers(db, range(1, 7), now=OLD)  # take every paper
    add_subscribers(db, [7], now=OLD, topics=["cs.CV"])
    add_subscribers(db, [8], now=OLD, topics=["cs.CL"])
    add_subscribers(db, [9], now=OLD, mode="digest", digest_hour=3)
    add_subscribers(db, [10], now="2999-01-01T00:00:00+00:00")  # subscribed after the paper
    subs.update_settings(db, 2, excludes=["cs.CV"])
    subs.update_settings(db, 3, weights={"cs.CV": 2.0})
    subs.update_settings(db, 4, topics=[], excludes=[], weights={})  # emptied: takes all
    seed_paper(db, "2402.00001", title="A vision paper", categories=["cs.CV"])
    assert plan_deliveries(db, config=make_config(NOWHERE)) == 7
    rows = {r[0]: r[1] for r in db.execute(
        "select chat_id, digest from deliveries where arxiv_id = '2402.00001'")}
    assert rows == {1: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 9: 1}
    assert plan_deliveries(db, config=make_config(NOWHERE)) == 0  # within the plan lag: again
    assert planning.plan_everyone(db, "2402.00001", "en", "2999", now=OLD) == 0
    assert db.execute("select count(*) from deliveries").fetchone()[0] == 7
