"""The summarize queue holds exactly what a scheduled run may have to write: papers to be
pushed in a language since someone reads it, lacking a good summary from the current
model — kept up to date by the store's triggers, refilled when the target changes."""

from __future__ import annotations

from jobs.steps.prompts import PROMPT_VERSION
from jobs.store import summaries as sstore
from jobs.store import summary_due as queue
from tests import store_seed

MODEL = store_seed.MODEL


def queued(db, lang="ja"):
    return {r[0] for r in db.execute("select arxiv_id from summary_due where lang = ?", [lang])}


def fill(db, floors):
    for lang in queue.sync_targets(db, floors, model=MODEL, prompt_version=PROMPT_VERSION):
        while queue.fill_chunk(db, lang, chunk=7):
            pass


def summarize(db, pid, lang="ja", *, model=MODEL, lang_ok=True):
    sstore.save_summary(db, arxiv_id=pid, lang=lang, model=model, prompt_version=PROMPT_VERSION,
                        fields={"title": "t", "tldr": "x"}, lang_ok=lang_ok)


def test_queue_follows_floor_pushability_and_summaries(db):
    store_seed.seed(db, papers=100, subscribers=0)  # 80 pushable papers over 2024
    archived = store_seed.add_post(db, 500, 0, notify=False, when="2024-12-31T00:00:00+00:00")
    floor = store_seed.stamp(50, 100)  # mid-2024: papers 50… are read in ja
    fill(db, {"ja": floor})
    later = {store_seed.arxiv_id(n) for n in range(50, 100) if n % 5 != 4}
    assert queued(db) == later  # nothing older, no archived paper, no cited-only paper
    assert queue.without_summary(db, ["ja", "zh"]) == {"ja": 40, "zh": None}

    # new pushable papers are queued as they are recorded; a good summary takes one off
    fresh = store_seed.add_post(db, 600, 0, when="2025-01-02T00:00:00+00:00")
    assert queued(db) == later | set(fresh)
    summarize(db, fresh[0], lang_ok=False)  # still in the wrong language: stays, retried
    assert queued(db) == later | set(fresh)
    summarize(db, fresh[0])
    summarize(db, store_seed.arxiv_id(60), model="fallback")  # a fallback: still due
    assert queued(db) == later | set(fresh[1:])
    assert queue.without_summary(db, ["ja"]) == {"ja": 40 + 3 - 1}

    # someone reads ja since earlier: the older papers are queued; later: they go
    fill(db, {"ja": store_seed.stamp(30, 100)})
    older = {store_seed.arxiv_id(n) for n in range(30, 50) if n % 5 != 4}
    assert queued(db) == later | set(fresh[1:]) | older
    fill(db, {"ja": floor})
    assert queued(db) == later | set(fresh[1:])
    assert not set(archived) & queued(db)


def test_a_new_model_queues_the_papers_again(db):
    store_seed.seed(db, papers=50, subscribers=0)
    fill(db, {"ja": None})
    for pid in list(queued(db)):
        summarize(db, pid)
    assert queued(db) == set()
    assert queue.sync_targets(db, {"ja": None}, model=MODEL,
                              prompt_version=PROMPT_VERSION) == []  # nothing to walk
    filling = queue.sync_targets(db, {"ja": None}, model="a-better-model",
                                 prompt_version=PROMPT_VERSION)
    assert filling == ["ja"]
    while queue.fill_chunk(db, "ja", chunk=7):
        pass
    assert len(queued(db)) == 40
