"""Issue 13 through the real PTB Application and Bot against the local Bot API server:
the curators line and "why" line, 👍 / 👎 / 🔖 buttons (only the keyboard edited),
/saved and /bib (a BibTeX file a parser reads), /follow, /exclude, /top and the weekly
"most discussed" digest."""

from __future__ import annotations

import datetime as dt
import re

import bibtexparser
import pytest

from bot.transport import build_bot
from crawler.models import FoundPaper, Post
from jobs import store
from jobs.steps.deliver import deliver_pending, plan_deliveries, send_due_digests
from jobs.store import crawl as crawl_store
from jobs.store import delivery as ledger
from jobs.store import subscribers as subs
from tests.bot_fixtures import TOKEN, add_subscribers, make_config, running_app, seed_paper
from tests.servers.telegram import TelegramStub


@pytest.fixture
async def stub():
    async with TelegramStub() as s:
        yield s


@pytest.fixture
def db():
    return store.memory_db()


def discuss(db, arxiv_id: str, source: str, *, lang: str = "ko", date: str | None = None,
            words: str = "Worth reading.") -> None:
    """Another blog's post with a primary mention of ``arxiv_id``."""
    crawl_store.sync_sources(db, [type("S", (), {"name": source, "kind": "rss",
                                                  "url": f"https://{source}.example/feed",
                                                  "lang": lang})()])
    post = Post(url=f"https://{source}.example/{arxiv_id}", source=source,
                title=f"{source} on {arxiv_id}", html="<p>x</p>", lang=lang, published_at=date)
    _, post_id = crawl_store.save_post(db, post)
    crawl_store.record_extraction(db, post_id, [FoundPaper(
        arxiv_id=arxiv_id, role="primary", title=None, text=words, lang=lang)],
        extractor_version=1)


async def say(stub, chat_id, text, **kw):
    before = len(stub.messages_to(chat_id))
    stub.inject_command(chat_id, text, **kw)
    return (await stub.wait_for_sent(before + 1, chat_id=chat_id, timeout=5))[-1]


async def press(stub, chat_id, data, message_id):
    before = len(stub.markup_edits), len(stub.callback_answers)
    stub.inject_callback(chat_id, data, message_id=message_id)
    await stub.wait_until(lambda: len(stub.callback_answers) > before[1], timeout=5)
    await stub.wait_until(lambda: len(stub.markup_edits) > before[0], timeout=5)
    return stub.markup_edits[-1], stub.callback_answers[-1]


def buttons(markup) -> list[str]:
    return [b["text"] for row in markup["inline_keyboard"] for b in row]


async def deliver(db, config):
    bot = build_bot(config=config, token=TOKEN)
    async with bot:
        return await deliver_pending(db, bot=bot, config=config)


async def test_buttons_votes_saves_and_bibtex(stub, db):
    config = make_config(stub)
    add_subscribers(db, [7], topics=["cs.CV"])
    seed_paper(db, "2401.00001", title="Seeing & Saying: {vision} 100%", categories=["cs.CV"],
               authors=["Ada Lovelace", "Alan Turing"])
    discuss(db, "2401.00001", "ja-blog", lang="ja")
    discuss(db, "2401.00001", "ru-blog", lang="ru")
    plan_deliveries(db, config=config)
    await deliver(db, config)
    (msg,) = stub.messages_to(7)
    # the curators line with the blogs' names, and why this reader got it
    assert "Discussed by 3 blogs in 3 languages: blog-ko, ja-blog, ru-blog" in msg.visible
    assert "Why you got this: topic cs.CV · discussed by 3 blogs" in msg.visible
    assert buttons(msg.reply_markup) == ["👍", "👎", "🔖"]
    assert all(len(b["callback_data"].encode()) < 64
               for row in msg.reply_markup["inline_keyboard"] for b in row)

    async with running_app(stub, db, config):
        edit, answer = await press(stub, 7, "fb:up:2401.00001", msg.message_id)
        assert buttons(edit.reply_markup) == ["👍✓", "👎", "🔖"]
        assert "more papers like this" in answer["text"]
        edit, answer = await press(stub, 7, "fb:down:2401.00001", msg.message_id)
        assert buttons(edit.reply_markup) == ["👍", "👎✓", "🔖"]
        assert "fewer papers on cs.CV" in answer["text"]
        assert subs.get(db, 7)["weights"] == {"cs.CV": -1.0}  # the 👍 was replaced, not added
        edit, answer = await press(stub, 7, "fb:save:2401.00001", msg.message_id)
        assert buttons(edit.reply_markup) == ["👍", "👎✓", "🔖✓"]
        # the message itself was never sent again nor its text edited
        assert len(stub.messages_to(7)) == 1 and not stub.edits
        assert stub.current[(7, msg.message_id)].text == msg.text

        reply = await say(stub, 7, "/saved")
        assert "Your saved papers (1)" in reply.visible and "Seeing & Saying" in reply.visible
        doc = await say(stub, 7, "/bib")
        assert doc.method == "sendDocument" and doc.document[0] == "paperbot-saved.bib"
        library = bibtexparser.parse_string(doc.document[1].decode("utf-8"))
        assert not library.failed_blocks
        (entry,) = library.entries
        assert entry.key == "lovelace2024seeing" and entry["eprint"] == "2401.00001"
        assert entry["author"] == "Ada Lovelace and Alan Turing"
        assert entry["title"] == r"Seeing \& Saying: \{vision\} 100\%"

        # pressing 🔖 again unsaves; a stale press is answered, not crashed on
        await press(stub, 7, "fb:save:2401.00001", msg.message_id)
        reply = await say(stub, 7, "/bib")
        assert "No saved papers yet" in reply.visible


async def test_dislikes_lower_a_category_until_its_papers_stop(stub, db):
    config = make_config(stub)
    add_subscribers(db, [8])
    for i in (1, 2):
        seed_paper(db, f"2401.0000{i}", title=f"Robot paper {i}", categories=["cs.RO"])
    plan_deliveries(db, config=config)
    await deliver(db, config)
    sent = stub.messages_to(8)
    assert len(sent) == 2 and "you follow every topic" in sent[0].visible
    async with running_app(stub, db, config):
        for msg, arxiv_id in zip(sent, ("2401.00001", "2401.00002"), strict=True):
            await press(stub, 8, f"fb:down:{arxiv_id}", msg.message_id)
    assert subs.get(db, 8)["weights"] == {"cs.RO": -2.0}
    seed_paper(db, "2401.00003", title="Robot paper 3", categories=["cs.RO"])
    seed_paper(db, "2401.00004", title="Language paper", categories=["cs.CL"])
    seed_paper(db, "2401.00005", title="Robot paper everyone covered", categories=["cs.RO"])
    discuss(db, "2401.00005", "ja-blog", lang="ja")
    discuss(db, "2401.00005", "ru-blog", lang="ru")
    plan_deliveries(db, config=config)
    await deliver(db, config)
    got = [re.search(r"Robot paper 3|Language paper|everyone covered", m.visible).group(0)
           for m in stub.messages_to(8)[2:]]
    assert sorted(got) == ["Language paper", "everyone covered"]


async def test_follow_and_exclude(stub, db):
    config = make_config(stub)
    async with running_app(stub, db, config):
        await say(stub, 9, "/start")
        await say(stub, 9, "/topics cs.CL")
        reply = await say(stub, 9, "/follow")
        assert "/follow Yann LeCun" in reply.visible and "You follow: nobody" in reply.visible
        reply = await say(stub, 9, "/follow LeCun, Yann; 何恺明")
        assert "You follow: LeCun, Yann, 何恺明." in reply.visible
        reply = await say(stub, 9, "/exclude robotics, cs.CR")
        assert "Excluded: robotics, cs.CR." in reply.visible
        reply = await say(stub, 9, "/exclude -ROBOTICS")
        assert subs.get(db, 9)["excludes"] == ["cs.CR"]
        await say(stub, 9, "/exclude robotics")
        reply = await say(stub, 9, "/settings")
        assert "Follows: LeCun, Yann, 何恺明" in reply.visible
        assert "Excluded: cs.CR, robotics" in reply.visible
    seed_paper(db, "2401.00011", title="Vision by a followed author", categories=["cs.CV"],
               authors=["Kaiming He", "Someone Else"])
    seed_paper(db, "2401.00012", title="Language models for robotics", categories=["cs.CL"])
    seed_paper(db, "2401.00013", title="Language models", categories=["cs.CL"])
    seed_paper(db, "2401.00014", title="Vision, off topic", categories=["cs.CV"])
    plan_deliveries(db, config=config)
    await deliver(db, config)
    got = {m.visible.split("\n")[0]: m.visible for m in stub.messages_to(9)
           if "2401.000" in m.text}
    assert sorted(got) == ["Language models", "Vision by a followed author"]
    assert "Why you got this: you follow 何恺明" in got["Vision by a followed author"]
    assert "Why you got this: topic cs.CL" in got["Language models"]


async def test_top_lists_the_most_discussed_papers_of_the_period(stub, db):
    config = make_config(stub)
    now = dt.datetime.now(dt.UTC)
    recent = (now - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    old = (now - dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    for arxiv_id, title, blogs, date in (("2401.00021", "Two blogs", 2, recent),
                                         ("2401.00022", "Three blogs", 3, recent),
                                         ("2401.00023", "Four blogs last month", 4, old)):
        seed_paper(db, arxiv_id, title=title)
        for b in range(blogs):
            discuss(db, arxiv_id, f"blog{b}", date=date)
    async with running_app(stub, db, config):
        await say(stub, 10, "/start")
        week = await say(stub, 10, "/top")
        month = await say(stub, 10, "/top month")
        bad = await say(stub, 10, "/top year")
    # this week "Four blogs" has one post (the seeding blog's), last month five
    assert "last 7 days" in week.visible
    assert week.visible.index("Three blogs") < week.visible.index("Two blogs") < \
        week.visible.index("Four blogs")
    assert month.visible.index("Four blogs") < month.visible.index("Three blogs")
    assert "1. " in month.visible and "1 👍" in buttons(month.reply_markup)
    assert "Why you got this" not in month.visible  # asked for, not pushed
    assert "/top month" in bad.visible


async def test_weekly_digest_of_the_most_discussed(stub, db):
    config = make_config(stub)
    async with running_app(stub, db, config):
        await say(stub, 11, "/start")
        reply = await say(stub, 11, "/mode weekly fri 8")
        assert "weekly digest of the most discussed papers, Fri at 8:00 (UTC)" in reply.visible
        reply = await say(stub, 12, "/start", language_code="ko")
        reply = await say(stub, 12, "/mode weekly 금요일 8:00")
        assert "금요일 8시" in reply.visible
    sub = subs.get(db, 11)
    assert (sub["mode"], sub["digest_weekday"], sub["digest_hour"]) == ("weekly", 4, 8)
    for i in range(12):
        seed_paper(db, f"2401.{i:05d}", title=f"Paper number {i}")
        for b in range(i % 4):
            discuss(db, f"2401.{i:05d}", f"blog{b}")
    plan_deliveries(db, config=config)
    bot = build_bot(config=config, token=TOKEN)
    thursday = dt.datetime(2030, 1, 3, 9, 0, tzinfo=dt.UTC)
    friday = dt.datetime(2030, 1, 4, 9, 0, tzinfo=dt.UTC)
    async with bot:
        assert (await send_due_digests(db, bot=bot, config=config, now=thursday)).messages == 0
        report = await send_due_digests(db, bot=bot, config=config, now=friday)
    assert report.digests == 1  # chat 12 is Korean: no Korean summaries, nothing pending
    digest = stub.messages_to(11)[-1]
    assert digest.visible.startswith("The week's most discussed papers - 10 papers")
    titles = re.findall(r"\d+\. Paper number (\d+)\n", digest.visible)
    # curator count (3, then 2, 1, 0 other blogs), then recency; only the 10 best
    assert titles == ["11", "7", "3", "10", "6", "2", "9", "5", "1", "8"]
    assert "Why you got this: you follow every topic · discussed by 4 blogs" in digest.visible
    assert buttons(digest.reply_markup)[:3] == ["1 👍", "1 👎", "1 🔖"]
    counts = ledger.state_counts(db)
    assert counts["sent"] == 10 and counts["skipped"] == 2 and counts["pending"] == 0
