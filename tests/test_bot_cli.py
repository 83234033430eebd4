"""``paperbot deliver once`` as a real subprocess: SIGKILL mid-broadcast and restart,
``paperbot subscribers``, and the missing-token error."""

import asyncio
import json
import os
import re
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from jobs import store
from jobs.config import load_config
from jobs.steps.deliver import in_flight_limit
from jobs.store import delivery as ledger
from jobs.store import delivery_plan as planning
from tests.bot_fixtures import TOKEN, add_subscribers, seed_paper
from tests.servers.telegram import TelegramStub

PAPERBOT = str(Path(sys.executable).with_name("paperbot"))


def write_config(tmp_path: Path, stub, rate: float) -> Path:
    cfg = tmp_path / "paperbot.toml"
    cfg.write_text(
        f'state_dir = "{tmp_path / "state"}"\nsources = []\n[telegram]\n'
        f'api_base_url = "{stub.base_url}"\napi_base_file_url = "{stub.base_file_url}"\n'
        f"max_messages_per_second = {rate}\nadmin_chat_ids = [1]\n", encoding="utf-8")
    return cfg


async def paperbot(cfg: Path, *args: str, token: str | None = TOKEN):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    if token:
        env["TELEGRAM_BOT_TOKEN"] = token
    return await asyncio.create_subprocess_exec(
        PAPERBOT, "--config", str(cfg), *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


@pytest.mark.slow
async def test_sigkill_mid_broadcast_then_restart(tmp_path):
    n = 600
    async with TelegramStub(rate=1000) as stub:
        cfg = write_config(tmp_path, stub, rate=200)
        db = store.open_db(tmp_path / "state" / "paperbot.db")
        add_subscribers(db, range(5000, 5000 + n), now="2000-01-01T00:00:00+00:00")
        seed_paper(db, "2401.00001", title="Broadcast me")

        proc = await paperbot(cfg, "deliver", "once")
        await stub.wait_for_sent(150, timeout=20)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        assert proc.returncode == -signal.SIGKILL
        killed_at = len(stub.sent)
        assert killed_at < n  # really killed mid-broadcast

        proc = await paperbot(cfg, "deliver", "once")
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        reported = int(re.search(r"ambiguous (\d+)", out.decode()).group(1))

        per_chat = Counter(m.chat_id for m in stub.sent)
        assert max(per_chat.values()) == 1  # no duplicates
        rows = {r["chat_id"]: r for r in ledger.deliveries_for(db)}
        ambiguous = {c for c, r in rows.items() if r["state"] == "ambiguous"}
        assert reported == len(ambiguous)
        # nothing lost except the rows reported as ambiguous
        missing = {c for c in range(5000, 5000 + n) if per_chat[c] == 0}
        assert missing <= ambiguous
        assert all(rows[c]["state"] == "sent" for c in per_chat if c not in ambiguous)
        # at most the sends in flight when killed
        assert len(ambiguous) <= in_flight_limit(load_config(cfg))


async def test_subscribers_command_and_missing_token(tmp_path):
    async with TelegramStub() as stub:
        cfg = write_config(tmp_path, stub, rate=30)
        db = store.open_db(tmp_path / "state" / "paperbot.db")
        add_subscribers(db, [42], lang="ko", topics=["cs.CL"])
        proc = await paperbot(cfg, "subscribers", "--json")
        out, _ = await proc.communicate()
        (row,) = json.loads(out)["subscribers"]
        assert (row["chat_id"], row["lang"], row["topics"], row["active"]) == (42, "ko",
                                                                                ["cs.CL"], 1)
        # one digest message that carried three papers: 1 message, 3 papers
        add_subscribers(db, [43], lang="en", mode="digest")
        ids = [f"2401.0000{i}" for i in range(1, 4)]
        for pid in ids:
            seed_paper(db, pid, title=f"Paper {pid}")
            planning.plan_rows(db, pid, "en", [43], now=store.utcnow())
        assert ledger.try_claim(db, 43, ids)
        ledger.mark_sent(db, 43, ids, 77)
        proc = await paperbot(cfg, "subscribers", "--json")
        out, _ = await proc.communicate()
        rows = {r["chat_id"]: r for r in json.loads(out)["subscribers"]}
        assert (rows[43]["messages_sent"], rows[43]["papers_sent"]) == (1, 3)
        assert (rows[42]["messages_sent"], rows[42]["papers_sent"]) == (0, 0)
        proc = await paperbot(cfg, "subscribers")
        out, _ = await proc.communicate()
        lines = out.decode().splitlines()
        assert "42" in out.decode() and "cs.CL" in out.decode()
        assert lines[0].split()[6:8] == ["messages", "papers"]
        row43 = next(line for line in lines if line.startswith("43 "))
        assert row43.split()[-3:-1] == ["1", "3"]  # ... messages papers since
        proc = await paperbot(cfg, "deliver", "once", token=None)
        _, err = await proc.communicate()
        assert proc.returncode == 2 and "TELEGRAM_BOT_TOKEN" in err.decode()
        assert stub.stats["requests"] == 0
