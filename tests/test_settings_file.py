"""Secrets from a settings file or a secret file, never the database: as an operator configures them.

Given SMTP credentials only in a TOML settings file (or a file holding just the password), when
`dunning send` delivers a letter, then the real SMTP server sees the login with that password.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dunning.config import SettingsFileError, load_settings


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_a_toml_file_fills_what_the_environment_leaves_open(tmp_path):
    settings = write(tmp_path / "s.toml", 'database_url = "postgres://db/dunning"\nlog_level = "INFO"\n'
                                          '[smtp]\nhost = "mail.example.com"\nport = 587\nstarttls = true\n'
                                          'ssl = false\npassword = "s3cret"\n')
    env = {"DUNNING_SETTINGS_FILE": str(settings), "DUNNING_SMTP_HOST": "from-the-environment"}

    assert load_settings(env, cwd=tmp_path) == []

    assert env == {"DUNNING_SETTINGS_FILE": str(settings), "DUNNING_SMTP_HOST": "from-the-environment",
                   "DUNNING_DATABASE_URL": "postgres://db/dunning", "DUNNING_LOG_LEVEL": "INFO",
                   "DUNNING_SMTP_PORT": "587", "DUNNING_SMTP_STARTTLS": "1", "DUNNING_SMTP_SSL": "",
                   "DUNNING_SMTP_PASSWORD": "s3cret"}


def test_dunning_toml_in_the_working_folder_is_read_without_being_named(tmp_path):
    write(tmp_path / "dunning.toml", '[smtp]\nuser = "collections"\n')
    env: dict[str, str] = {}
    load_settings(env, cwd=tmp_path)
    assert env == {"DUNNING_SMTP_USER": "collections"}


def test_a_secret_file_holds_just_the_password(tmp_path):
    secret = write(tmp_path / "smtp-password", "pa ss\n")
    env = {"DUNNING_SMTP_PASSWORD_FILE": str(secret)}
    load_settings(env, cwd=tmp_path)
    assert env["DUNNING_SMTP_PASSWORD"] == "pa ss"


def test_a_secret_others_can_read_is_reported(tmp_path):
    settings = write(tmp_path / "s.toml", '[smtp]\npassword = "x"\n', mode=0o644)
    warnings = load_settings({"DUNNING_SETTINGS_FILE": str(settings)}, cwd=tmp_path)
    assert warnings == [f"{settings} holds a secret and can be read by other users; chmod 600 {settings}"]


@pytest.mark.parametrize("text, message", [
    ('[smtp]\nhots = "typo"\n', "unknown setting(s) smtp_hots; known: allowed_hosts, database_url"),
    ('smtp_host = \n', "not valid TOML"),
])
def test_a_bad_settings_file_is_refused_with_what_to_fix(tmp_path, text, message):
    settings = write(tmp_path / "s.toml", text)
    with pytest.raises(SettingsFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings({"DUNNING_SETTINGS_FILE": str(settings)}, cwd=tmp_path)


def test_the_cli_names_a_missing_settings_file_and_stops(tmp_path):
    done = subprocess.run([sys.executable, "-m", "dunning.cli", "letters"], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "DUNNING_SETTINGS_FILE": str(tmp_path / "nope.toml"),
                                             "DUNNING_DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}"})
    assert (done.returncode, done.stderr) == (2, f"dunning: DUNNING_SETTINGS_FILE={tmp_path / 'nope.toml'}: "
                                                 f"no such file\n")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a local test server, no TLS
def test_dunning_send_logs_in_with_the_password_from_the_settings_file_only(tmp_path):
    """No SMTP variable in the environment: host, port, user and password come from the file."""
    import sqlite3

    from smtp_server import SMTPTestServer
    from test_delivery_crash import LETTERS, REPO, SETUP

    database = tmp_path / "dunning.sqlite3"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    made = subprocess.run([sys.executable, "-c", SETUP], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**clean, "DUNNING_DATABASE_URL": f"sqlite:///{database}"})
    assert made.returncode == 0, made.stderr
    server = SMTPTestServer(logins={"dunning": "s3cret-from-file"}).start()
    try:
        settings = write(tmp_path / "dunning.toml",
                         f'database_url = "sqlite:///{database}"\ndelivery = "smtp"\n'
                         f'[smtp]\nhost = "{server.host}"\nport = {server.port}\nuser = "dunning"\n'
                         f'password = "s3cret-from-file"\nbackoff = 0.01\n')
        sent = subprocess.run([sys.executable, "-m", "dunning.cli", "send"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300, env={**clean, "PYTHONPATH": str(REPO)})
    finally:
        server.stop()

    assert sent.returncode == 0, sent.stderr
    assert (server.logins, len(server.received)) == (["dunning"] * LETTERS, LETTERS)
    assert b"s3cret-from-file" not in database.read_bytes()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM dunning_letter WHERE state = 'sent'").fetchone() == (LETTERS,)
    assert settings.stat().st_mode & 0o077 == 0
