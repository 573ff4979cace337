"""Settings come from the environment; a settings file is the environment written down.

Why a file at all: SMTP passwords and database URLs with passwords do not belong in a crontab or
a shell history, and never in the database. So they may also come from

- a TOML file named by DUNNING_SETTINGS_FILE (or `dunning.toml` in the working folder), e.g.

      database_url = "postgres://dunning@db.internal:5432/dunning"
      [smtp]
      host = "mail.example.com"
      port = 587
      starttls = true
      user = "dunning"
      password = "..."

  where `[smtp] host` is DUNNING_SMTP_HOST, `database_url` is DUNNING_DATABASE_URL, true is "1";
- a file holding just the secret, named by DUNNING_SMTP_PASSWORD_FILE, DUNNING_DATABASE_URL_FILE
  or DUNNING_SECRET_KEY_FILE (as container secrets are mounted).

A variable set in the environment wins over both. The values are put into this process's
environment once, at start, so every part reads one place; the template sandbox never passes
secret-looking variables on to its workers. A file holding a password that others may read is
reported with a warning; an unknown key is refused with the list of known ones.
"""
from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

KNOWN = (
    "DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "LOG_LEVEL", "DELIVERY", "OUTBOX",
    "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS", "SMTP_SSL", "SMTP_TIMEOUT",
    "SMTP_CAFILE", "SMTP_FROM", "SMTP_ATTEMPTS", "SMTP_BACKOFF", "SMTP_BACKOFF_MAX", "SANDBOX_MEMORY",
    "SENDING_LEASE_SECONDS",
)
SECRETS = ("SMTP_PASSWORD", "DATABASE_URL", "SECRET_KEY")
DEFAULT_FILE = "dunning.toml"


class SettingsFileError(Exception):
    """The settings file cannot be used; the message names the file and what to change."""


def load_settings(environ: dict[str, str] | None = None, cwd: Path | None = None) -> list[str]:
    """Fill `environ` (default os.environ) from the settings file and the *_FILE secrets; returns warnings."""
    env = os.environ if environ is None else environ
    warnings: list[str] = []
    path = _settings_path(env, cwd or Path.cwd())
    if path is not None:
        values = _read_file(path)
        if any(name in values for name in SECRETS):
            warnings += _permission_warnings(path)
        for name, value in values.items():
            env.setdefault(f"DUNNING_{name}", value)
    for name in SECRETS:
        holder = env.get(f"DUNNING_{name}_FILE")
        if holder and not env.get(f"DUNNING_{name}"):
            env[f"DUNNING_{name}"] = _read_secret(Path(holder), f"DUNNING_{name}_FILE")
            warnings += _permission_warnings(Path(holder))
    return warnings


def _settings_path(env: dict[str, str], cwd: Path) -> Path | None:
    named = env.get("DUNNING_SETTINGS_FILE")
    if named:
        path = Path(named)
        if not path.is_file():
            raise SettingsFileError(f"DUNNING_SETTINGS_FILE={named}: no such file")
        return path
    default = cwd / DEFAULT_FILE
    return default if default.is_file() else None


def _read_file(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsFileError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(f"{path}: not valid TOML ({exc})") from None
    values: dict[str, str] = {}
    unknown: list[str] = []
    for key, value in _flat(data):
        name = key.upper()
        if name not in KNOWN:
            unknown.append(key)
        else:
            values[name] = _text(value)
    if unknown:
        known = ", ".join(sorted(k.lower() for k in KNOWN))
        raise SettingsFileError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {known} "
                                f"(a [smtp] table's keys are smtp_<key>)")
    return values


def _flat(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += _flat(value, f"{prefix}{key}_")
        else:
            out.append((f"{prefix}{key}", value))
    return out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _read_secret(path: Path, variable: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip("\r\n")
    except OSError as exc:
        raise SettingsFileError(f"{variable}={path}: cannot be read ({exc.strerror})") from None


def _permission_warnings(path: Path) -> list[str]:
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return [f"{path} holds a secret and can be read by other users; chmod 600 {path}"]
    return []


def report(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"dunning: warning: {warning}", file=sys.stderr)
