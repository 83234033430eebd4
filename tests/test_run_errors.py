"""What a failing `paperbot run` tells the journal and systemd: one readable line, the
error first (the traceback only at DEBUG), and exit 2 for a rejected token so that
systemd does not restart into the same error (RestartPreventExitStatus=2)."""

from __future__ import annotations

from jobs.service.failures import describe, exit_code
from tests.conftest import NO_ARXIV, paperbot_env, run_paperbot, write_config
from tests.servers.telegram import TelegramStub
from tests.service_fixtures import TOKEN

OTHER_TOKEN = "555555555:AAHanotherTOKENthatTelegramDoesNotKnow01"


def config_for(tmp_path, api_base_url: str, api_base_file_url: str) -> str:
    return str(write_config(tmp_path, f"state_dir = '{tmp_path / 'state'}'\n" + NO_ARXIV + f"""
[telegram]
api_base_url = '{api_base_url}'
api_base_file_url = '{api_base_file_url}'
"""))


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " ERROR " in line]


async def test_a_rejected_token_exits_2_with_one_readable_line(tmp_path):
    async with TelegramStub(token=OTHER_TOKEN) as stub:
        config = config_for(tmp_path, stub.base_url, stub.base_file_url)
        env = paperbot_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
        run = await run_paperbot("--config", config, "run", cwd=tmp_path, env=env, timeout=60)
        deliver = await run_paperbot("--config", config, "deliver", "once", cwd=tmp_path,
                                     env=env, timeout=60)
        debug = await run_paperbot("--config", config, "--log-level", "DEBUG", "run",
                                   cwd=tmp_path, env=env, timeout=60)
    assert run.code == 2, run.stderr
    (line,) = error_lines(run.stderr)
    assert line.split(" ERROR ", 1)[1].startswith(
        "paperbot.service: paperbot run failed: InvalidToken — Telegram rejected the bot token")
    assert "set a valid TELEGRAM_BOT_TOKEN" in line and "not restarting" in line
    assert len(line) < 500 and "Traceback" not in run.stderr
    assert TOKEN not in run.stderr + debug.stderr
    assert deliver.code == 2
    assert "deliver once: InvalidToken — Telegram rejected the bot token" in deliver.stderr
    assert "Traceback" not in deliver.stderr
    assert debug.code == 2 and "Traceback (most recent call last)" in debug.stderr


async def test_an_unreachable_telegram_exits_1_naming_the_cause(tmp_path):
    config = config_for(tmp_path, "http://127.0.0.1:9/bot", "http://127.0.0.1:9/file/bot")
    env = paperbot_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    result = await run_paperbot("--config", config, "run", cwd=tmp_path, env=env, timeout=60)
    assert result.code == 1, result.stderr  # may heal by itself: systemd restarts it
    (line,) = error_lines(result.stderr)
    message = line.split("paperbot run failed: ", 1)[1]
    assert message.startswith("NetworkError: ") and "caused by ConnectError" in message
    assert "Traceback" not in result.stderr and len(line) < 1000


def test_describe_puts_the_error_first_then_its_causes_then_where():
    def connect():
        raise ConnectionRefusedError(111, "Connection refused")

    try:
        try:
            connect()
        except OSError as exc:
            raise RuntimeError("cannot start\nthe bot") from exc
    except RuntimeError as exc:
        text = describe(exc)
    assert text.startswith("RuntimeError: cannot start the bot; caused by "
                           "ConnectionRefusedError: [Errno 111] Connection refused (at ")
    assert text.endswith("in connect)")
    assert "\n" not in text and exit_code(RuntimeError()) == 1
