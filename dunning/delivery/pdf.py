"""The printed letter: Letter.data and the rendered body paragraphs laid out by Typst into a PDF.

Everything the page shows is formatted here in Python with Babel (the reader's locale) and handed
to the fixed layout `letter.typ` as one JSON value through `sys.inputs`: customer data is never
spliced into Typst markup. Typst has no compile timeout, so the compile runs in the sandbox's
worker processes (one reused Typst compiler per worker, fonts loaded once) with a time bound.

Fonts come from pinned PyPI packages: Noto Sans (Latin, Greek, Cyrillic) and Noto Sans CJK
(Japanese, Chinese, Korean). Typst silently draws an empty box for a character no font has, so
every character is checked against the fonts' character maps first; a letter that cannot be
printed faithfully fails loudly, naming the characters.
"""
from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from . import formatting

PDF_TIMEOUT = 10.0  # seconds for one compile
LAYOUT = Path(__file__).with_name("letter.typ")
FONT_FAMILIES = ["Noto Sans", "Noto Sans CJK TC"]


class PdfError(Exception):
    """The PDF could not be made."""

    kind = "pdf"


class MissingGlyphsError(PdfError):
    """The letter has characters no font of the letter can draw."""

    kind = "glyphs"


def font_files() -> list[Path]:
    """The font files used by the letter, from the pinned font packages."""
    files: list[Path] = []
    for package, pattern in (("fontpkg_noto_sans", "files/NotoSans*.ttf"),
                             ("cvttf_NotoSansCJK_Regular", "NotoSansCJK*.otf")):
        spec = find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise PdfError(f"font package {package} is not installed (pip install -e .)")
        files.extend(sorted(Path(next(iter(spec.submodule_search_locations))).glob(pattern)))
    return files


@lru_cache(maxsize=1)
def covered_codepoints() -> frozenset[int]:
    """Every character some font of the letter can draw (fonts' cmaps, read once per process)."""
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for path in font_files():
        with TTFont(path, lazy=True) as font:
            points.update(font.getBestCmap() or {})
    return frozenset(points)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def check_glyphs(view: dict) -> None:
    """Raise MissingGlyphsError naming each character of the letter that no font covers."""
    covered = covered_codepoints()
    missing = sorted({ch for text in _strings(view) for ch in text
                      if ord(ch) not in covered and unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")})
    if missing:
        named = ", ".join(f"'{ch}' U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}" for ch in missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise MissingGlyphsError(f"the letter contains characters no font can print: {named}{more}")


# --------------------------------------------------------------------------------------------
# Words of the layout itself, per language (the body text comes from the templates).

ITEMS_MARK = "[items]"  # a paragraph of the PDF body that says where the table of items goes

LABELS: dict[str, dict[str, str]] = {
    "en": {"colon": ": ",
           "number": "Invoice", "due_date": "Due date", "days": "Days overdue", "open": "Open amount",
           "level": "Level", "dunned": "Overdue items", "credits": "Credits", "fee": "Reminder fee",
           "interest": "Interest", "total": "Amount due", "payment": "Payment details",
           "customer_number": "Customer number", "date": "Date", "page": "Page {page} of {pages}",
           "credit_note": "Credit note", "payment_credit": "Payment", "charge": "Charge",
           "info": "For information (not included in the amount due)", "not_due": "not yet due",
           "disputed": "under review", "paused": "paused", "below_level": "overdue, below the first level",
           "title": "Payment reminder"},
    "de": {"colon": ": ",
           "number": "Rechnung", "due_date": "Fällig am", "days": "Tage überfällig", "open": "Offener Betrag",
           "level": "Stufe", "dunned": "Überfällige Posten", "credits": "Gutschriften", "fee": "Mahngebühr",
           "interest": "Verzugszinsen", "total": "Zu zahlender Betrag", "payment": "Zahlungsinformationen",
           "customer_number": "Kundennummer", "date": "Datum", "page": "Seite {page} von {pages}",
           "credit_note": "Gutschrift", "payment_credit": "Zahlung", "charge": "Gebühr",
           "info": "Zur Information (nicht im Zahlbetrag enthalten)", "not_due": "noch nicht fällig",
           "disputed": "in Klärung", "paused": "pausiert", "below_level": "überfällig, unter der ersten Mahnstufe",
           "title": "Zahlungserinnerung"},
    "fr": {"colon": "\u00a0: ",
           "number": "Facture", "due_date": "Échéance", "days": "Jours de retard", "open": "Montant dû",
           "level": "Niveau", "dunned": "Postes échus", "credits": "Avoirs et paiements", "fee": "Frais de relance",
           "interest": "Intérêts de retard", "total": "Montant à régler", "payment": "Modalités de paiement",
           "customer_number": "N° client", "date": "Date", "page": "Page {page} sur {pages}",
           "credit_note": "Avoir", "payment_credit": "Paiement", "charge": "Frais",
           "info": "Pour information (non inclus dans le montant à régler)", "not_due": "pas encore échu",
           "disputed": "en cours d’examen", "paused": "relance suspendue", "below_level": "échu, sous le premier niveau",
           "title": "Rappel de paiement"},
    "es": {"colon": ": ",
           "number": "Factura", "due_date": "Vencimiento", "days": "Días de retraso", "open": "Importe pendiente",
           "level": "Nivel", "dunned": "Partidas vencidas", "credits": "Abonos y pagos", "fee": "Gastos de reclamación",
           "interest": "Intereses de demora", "total": "Importe a pagar", "payment": "Datos para el pago",
           "customer_number": "N.º de cliente", "date": "Fecha", "page": "Página {page} de {pages}",
           "credit_note": "Abono", "payment_credit": "Pago", "charge": "Cargo",
           "info": "A título informativo (no incluido en el importe a pagar)", "not_due": "aún no vencida",
           "disputed": "en revisión", "paused": "en pausa", "below_level": "vencida, por debajo del primer nivel",
           "title": "Recordatorio de pago"},
    "ja": {"colon": "：",
           "number": "請求書番号", "due_date": "支払期日", "days": "経過日数", "open": "未払金額",
           "level": "督促段階", "dunned": "期日経過分", "credits": "入金・クレジット", "fee": "督促手数料",
           "interest": "遅延損害金", "total": "ご請求金額", "payment": "お振込先",
           "customer_number": "お客様番号", "date": "日付", "page": "{page} / {pages} ページ",
           "credit_note": "クレジットノート", "payment_credit": "ご入金", "charge": "手数料",
           "info": "ご参考（ご請求金額には含まれません）", "not_due": "期日前",
           "disputed": "確認中", "paused": "督促保留中", "below_level": "期日経過（督促対象外）",
           "title": "お支払いのお願い"},
}


# The core's notes (not_due, below_first_level, disputed, paused) and the words a hand-written letter uses.
NOTES = {"not due": "not_due", "not yet due": "not_due", "disputed": "disputed", "under review": "disputed",
         "paused": "paused", "below level": "below_level", "below first level": "below_level"}


def labels_for(language: str | None) -> dict[str, str]:
    base = (language or "en").replace("-", "_").split("_")[0].lower()
    return LABELS.get(base, LABELS["en"])


def logo_format(logo: bytes) -> str | None:
    """PNG, JPEG, GIF or SVG by their first bytes; anything else is left off the letterhead."""
    head = bytes(logo[:512])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if b"<svg" in head.lower():
        return "svg"
    return None


def _note(note: Any, lab: dict[str, str]) -> str:
    """The info line's note in the letter's language when it is one of the known ones."""
    text = str(note or "not due")
    key = NOTES.get(text.strip().lower().replace("_", " "))
    return lab[key] if key else text


def _page_parts(pattern: str) -> list[str]:
    before, rest = pattern.split("{page}", 1)
    middle, after = rest.split("{pages}", 1)
    return [before, middle, after]


def letter_view(letter_data: dict, body_paragraphs: list[str], *, title: str | None = None,
                locale: str = "en", language: str | None = None, logo: bytes | None = None) -> dict:
    """Everything the layout shows, as strings formatted for the reader. No markup, no numbers."""
    lab = labels_for(language or locale)
    company = letter_data.get("company") or {}
    customer = letter_data.get("customer") or {}
    letter = letter_data.get("letter") or {}
    totals = letter_data.get("totals") or {}
    currency = str(letter.get("currency") or company.get("base_currency") or "EUR")

    def money(value: Any) -> str:
        return formatting.format_money(value if value not in (None, "") else "0", currency, locale)

    def day(value: Any) -> str:
        return formatting.format_date(value, locale, "medium") if value else ""

    rows = [[str(i.get("number", "")) + (f" ({lab['charge']})" if i.get("kind") == "charge" else ""),
             day(i.get("due_date")), formatting.format_number(i.get("days_overdue", 0), locale),
             money(i.get("open_amount")), str(i.get("level", ""))] for i in letter_data.get("items") or []]
    rows += [[f"{c.get('number', '')} ({lab['payment_credit'] if c.get('kind') == 'payment' else lab['credit_note']})",
              day(c.get("date")), "", money(c.get("open_amount")), ""] for c in letter_data.get("credits") or []]
    summary = [[lab["dunned"], money(totals.get("dunned")), False]]
    for key in ("credits", "fee", "interest"):
        if totals.get(key) not in (None, "") and Decimal(str(totals[key])) != 0:
            summary.append([lab[key], money(totals[key]), False])
    summary.append([lab["total"], money(totals.get("total")), True])
    address = [str(a) for a in company.get("address") or []]
    cut = body_paragraphs.index(ITEMS_MARK) if ITEMS_MARK in body_paragraphs else len(body_paragraphs)
    before, after = body_paragraphs[:cut], body_paragraphs[cut + 1:]
    return {
        "lang": (language or locale).replace("-", "_").split("_")[0].lower(),
        "fonts": FONT_FAMILIES,
        "paper": "us-letter" if str(customer.get("country") or "").upper() in ("US", "CA") else "a4",
        "title": title or str(letter.get("level_name") or lab["title"]),
        "labels": {"page": lab["page"]},
        "logo": list(logo) if logo and logo_format(logo) else None,
        "company": {"name": str(company.get("name", "")), "address": address,
                    "contact": [str(company[k]) for k in ("reply_to",) if company.get(k)]
                    or [str(company[k]) for k in ("sender_email",) if company.get(k)],
                    "return_line": " · ".join([str(company.get("name", ""))] + address),
                    "footer": " · ".join(x for x in [str(company.get("name", "")),
                                                     str(company.get("sender_email") or "")] if x)},
        "customer": {"address_block": [str(customer.get("name", ""))]
                     + [str(a) for a in customer.get("address") or []]},
        "meta": [f"{lab['date']}{lab['colon']}{formatting.format_date(letter['date'], locale, 'long')}"
                 if letter.get("date") else "",
                 f"{lab['customer_number']}{lab['colon']}{customer.get('number', '')}"],
        "before": [p.split("\n") for p in before],
        "after": [p.split("\n") for p in after],
        "table": {"header": [lab["number"], lab["due_date"], lab["days"], lab["open"], lab["level"]],
                  "widths": [2.2, 1.4, 1.2, 1.7, 0.9], "align": ["left", "left", "right", "right", "right"],
                  "rows": rows},
        "summary": summary,
        "info": {"title": lab["info"],
                 "rows": [[str(i.get("number", "")), day(i.get("due_date")), money(i.get("open_amount")),
                           _note(i.get("note"), lab)] for i in letter_data.get("info") or []]},
        "payment": {"title": lab["payment"],
                    "text": [ln for ln in str(company.get("payment_instructions") or "").splitlines() if ln.strip()]},
        "page": _page_parts(lab["page"]),
    }


def body_paragraphs(text: str) -> list[str]:
    """A rendered PDF body split into paragraphs at blank lines; single newlines stay line breaks."""
    blocks = [b.strip("\n") for b in text.replace("\r\n", "\n").split("\n\n")]
    return [b for b in (blk.strip() for blk in blocks) if b]


def _timestamp(letter_data: dict) -> datetime:
    """The PDF's creation date is the letter's date, so the same letter gives the same bytes."""
    raw = (letter_data.get("letter") or {}).get("date")
    day = date.fromisoformat(str(raw)[:10]) if raw else date(2000, 1, 1)
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def render_pdf(letter_data: dict, body_paragraphs: list[str], *, title: str | None = None,
               locale: str | None = None, language: str | None = None, logo: bytes | None = None,
               timeout: float = PDF_TIMEOUT) -> bytes:
    """The PDF letter for one letter's plain data and its rendered body paragraphs.

    Raises MissingGlyphsError when a character cannot be printed, PdfError when Typst fails or
    takes longer than `timeout` seconds.
    """
    from .sandbox import TemplateError, run_in_worker

    if locale is None:
        customer = letter_data.get("customer") or {}
        lang = language or (letter_data.get("letter") or {}).get("language") or customer.get("language")
        locale = str(formatting.locale_for(lang, customer.get("country")))
    view = letter_view(letter_data, body_paragraphs, title=title, locale=locale, language=language, logo=logo)
    check_glyphs(view)
    request = {"op": "pdf", "view": view, "timestamp": _timestamp(letter_data).isoformat()}
    try:
        encoded = run_in_worker(request, timeout, "PDF letter")
    except TemplateError as exc:
        if exc.kind == "glyphs":
            raise MissingGlyphsError(exc.message) from None
        raise PdfError(exc.message) from None
    import base64

    return base64.b64decode(encoded)


# --------------------------------------------------------------------------------------------
# Inside the worker process.

_compiler: Any = None


def compile_in_worker(request: dict) -> bytes:
    """Compile the layout with the view as JSON; one Typst compiler per worker, reused."""
    global _compiler
    import typst

    view = request["view"]
    check_glyphs(view)
    if _compiler is None:
        _compiler = typst.Compiler(font_paths=[str(p.parent) for p in font_files()], ignore_system_fonts=True,
                                   root=str(LAYOUT.parent))
    stamp = datetime.fromisoformat(request["timestamp"])
    try:
        return _compiler.compile(input=LAYOUT.read_bytes(), format="pdf", timestamp=stamp,
                                 sys_inputs={"data": json.dumps(view, ensure_ascii=False)})
    except typst.TypstError as exc:
        raise PdfError(f"Typst could not lay out the letter: {exc.message}") from None
