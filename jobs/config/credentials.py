"""Secrets: never from the config file, but from the environment or systemd credentials
(``$CREDENTIALS_DIRECTORY``); how they are shown (masked), and the effective
configuration as plain data with them masked (``paperbot config show``)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from jobs.config.schema import Config


@dataclasses.dataclass(frozen=True)
class Secrets:
    telegram_bot_token: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None

    def masked(self) -> dict[str, str | None]:
        return {k: mask(v) for k, v in dataclasses.asdict(self).items()}


def mask(secret: str | None) -> str | None:
    if not secret:
        return None
    return secret[:3] + "…" + f"({len(secret)} chars)" if len(secret) > 8 else "***"


def _credential(name: str, env: dict[str, str]) -> str | None:
    """A secret from the environment, else from a systemd credential file of the same name."""
    if env.get(name):
        return env[name].strip()
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        for candidate in (name, name.lower()):
            p = Path(cred_dir) / candidate
            if p.is_file():
                return p.read_text(encoding="utf-8").strip() or None
    return None


def load_secrets(env: dict[str, str] | None = None) -> Secrets:
    env = dict(os.environ) if env is None else env
    return Secrets(
        telegram_bot_token=_credential("TELEGRAM_BOT_TOKEN", env),
        openai_api_key=_credential("OPENAI_API_KEY", env),
        openai_base_url=_credential("OPENAI_BASE_URL", env),
    )


def config_as_dict(cfg: Config, secrets: Secrets | None = None) -> dict[str, Any]:
    """The effective configuration as plain data (for ``config show``), secrets masked."""

    def plain(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj):
            return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                    if f.name != "path"}
        if isinstance(obj, list):
            return [plain(v) for v in obj]
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        if isinstance(obj, Path):
            return str(obj)
        return obj

    out = plain(cfg)
    out["config_file"] = str(cfg.path) if cfg.path else None
    if secrets is not None:
        out["secrets"] = secrets.masked()
    return out
