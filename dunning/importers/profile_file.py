"""A column-mapping profile of your own, as a TOML file: how your billing system names our fields.

    # our-erp.toml: open items exported by our ERP
    base = "generic"              # reading rules to start from: generic, ibm-ar, highradius, cassandra
    summary = "Open items from our ERP"
    date_formats = ["%d.%m.%Y"]
    decimal = ","
    default_currency = "EUR"
    default_company = "DE01"
    [columns]                     # our field = the column name(s) in your file, first one present wins
    customer = ["Debitor", "Kundennummer"]
    customer_name = "Name"
    invoice = "Belegnummer"
    issue_date = "Belegdatum"
    due_date = "Fälligkeit"
    amount = "Betrag"
    currency = "Währung"

`dunning import --profile our-erp.toml FILE`. Fields you do not map keep the base profile's column
names. Every problem of the file is reported at once, with what to write instead.
"""
from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from .profiles import PROFILES, Profile

TOP_KEYS = {"base", "summary", "date_formats", "decimal", "default_currency", "default_company", "columns",
            "required"}


class ProfileFileError(ValueError):
    """The profile file cannot be used; the message lists every problem."""


def is_profile_file(name: str) -> bool:
    return name.endswith(".toml")


def profile_from_file(path: str | Path) -> Profile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileFileError(f"profile file {path}: cannot be read ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileFileError(f"profile file {path}: not valid TOML ({exc})") from None
    problems: list[str] = []
    base = _base(data, problems)
    columns = _columns(data.get("columns", {}), base, problems)
    formats = _strings(data.get("date_formats", list(base.date_formats)), "date_formats", problems)
    for fmt in formats:
        if not _valid_format(fmt):
            problems.append(f"date_formats: '{fmt}' is not a date format; write it like %d.%m.%Y")
    decimal = data.get("decimal", base.decimal)
    if decimal not in (".", ","):
        problems.append(f"decimal: '{decimal}' must be \".\" or \",\"")
    currency = data.get("default_currency", base.default_currency)
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
        problems.append(f"default_currency: '{currency}' is not a three-letter currency code such as EUR")
    required = tuple(_strings(data.get("required", list(base.required)), "required", problems))
    for field in required:
        if field not in columns:
            problems.append(f"required: '{field}' is not one of the fields ({', '.join(sorted(columns))})")
    problems += [f"'{key}' is not a profile setting (known: {', '.join(sorted(TOP_KEYS))})"
                 for key in sorted(set(data) - TOP_KEYS)]
    if problems:
        raise ProfileFileError(f"profile file {path}: " + "; ".join(problems))
    return replace(base, name=path.stem, summary=str(data.get("summary", f"{base.summary} ({path.name})")),
                   columns=columns, required=required, date_formats=tuple(formats), decimal=decimal,
                   default_currency=currency.upper() if currency else None,
                   default_company=data.get("default_company", base.default_company))


def _base(data: dict, problems: list[str]) -> Profile:
    name = data.get("base", "generic")
    if name not in PROFILES:
        problems.append(f"base: '{name}' is not a profile (known: {', '.join(sorted(PROFILES))})")
        return PROFILES["generic"]
    return PROFILES[name]


def _columns(given: object, base: Profile, problems: list[str]) -> dict[str, tuple[str, ...]]:
    columns = dict(base.columns)
    if not isinstance(given, dict):
        problems.append("columns: must be a table of our field = \"your column\"")
        return columns
    for field, names in given.items():
        if field not in base.columns:
            problems.append(f"columns.{field}: not a field of the {base.name} profile "
                            f"(fields: {', '.join(sorted(base.columns))})")
            continue
        listed = [names] if isinstance(names, str) else names
        if not isinstance(listed, list) or not listed or not all(isinstance(n, str) and n.strip() for n in listed):
            problems.append(f"columns.{field}: give a column name or a list of names")
            continue
        columns[field] = tuple(n.strip() for n in listed)
    return columns


def _strings(value: object, key: str, problems: list[str]) -> list[str]:
    listed = [value] if isinstance(value, str) else value
    if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
        problems.append(f"{key}: give a text or a list of texts")
        return []
    return list(listed)


def _valid_format(fmt: str) -> bool:
    """A strptime format that reads back the date it writes."""
    day = datetime(2026, 12, 31)
    try:
        return datetime.strptime(day.strftime(fmt), fmt).date() == day.date()
    except ValueError:
        return False
