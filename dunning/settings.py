"""Django settings. The database comes from DUNNING_DATABASE_URL (default: SQLite here).

Every DUNNING_* value may also come from a settings file (dunning/config.py); the environment wins.
"""
import os
from pathlib import Path

import dj_database_url

from dunning.config import load_settings, report

report(load_settings())

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("DUNNING_SECRET_KEY", "dev-only-not-secret")
DEBUG = os.environ.get("DUNNING_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("DUNNING_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "dunning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "dunning.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
        ]},
    },
]

DATABASE_URL = os.environ.get("DUNNING_DATABASE_URL") or f"sqlite:///{Path.cwd() / 'dunning.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers go on while a run writes; the timeout makes a second writer wait, not fail.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE",
                                       "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
USE_I18N = True
STATIC_URL = "static/"

# Outgoing mail. Credentials come from the environment, never from the database.
EMAIL_HOST = os.environ.get("DUNNING_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DUNNING_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DUNNING_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DUNNING_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("DUNNING_SMTP_STARTTLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("DUNNING_SMTP_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("DUNNING_SMTP_TIMEOUT", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"dunning": {"handlers": ["console"], "level": os.environ.get("DUNNING_LOG_LEVEL", "WARNING")}},
}
