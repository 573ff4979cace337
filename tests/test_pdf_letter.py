"""The PDF letter: its text (read back with pypdf) shows the right amounts in the right language.

Typst lays the letter out from JSON; nothing in the data is read as markup, and a character no
font can print makes the letter fail loudly instead of printing an empty box.
"""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from pypdf import PdfReader

from dunning.delivery.pdf import MissingGlyphsError, body_paragraphs, render_pdf

NBSP = "\u00a0"
NNBSP = "\u202f"


def letter_data(language: str, currency: str = "EUR", amount: str = "1234.56", items: int = 1,
                customer: str = "Müller Maschinenbau GmbH") -> dict:
    return {
        "company": {"code": "ACME", "name": "Acme Industriebedarf GmbH", "address": ["Hafenstraße 5", "20457 Hamburg"],
                    "sender_email": "mahnwesen@acme.example", "reply_to": "", "base_currency": "EUR",
                    "payment_instructions": "IBAN DE89 3704 0044 0532 0130 00"},
        "customer": {"number": "0042", "name": customer, "address": ["Industrieweg 7", "70173 Stuttgart"],
                     "email": "ap@example.com", "language": language, "country": "DE"},
        "letter": {"date": "2026-12-03", "level": 2, "level_name": "", "currency": currency, "procedure": "Standard",
                   "repeat": False, "language": language, "reasons": []},
        "items": [{"number": f"INV-{1000 + n}", "kind": "invoice", "issue_date": "2026-09-21",
                   "due_date": "2026-10-21", "amount": amount, "open_amount": amount, "days_overdue": 43, "level": 2,
                   "reminded_level": 1, "interest": "0"} for n in range(items)],
        "credits": [{"number": "CN-7", "kind": "credit_note", "date": "2026-11-20", "open_amount": "-100.00"}],
        "info": [{"number": "INV-2000", "due_date": "2026-12-20", "open_amount": "80.00", "days_overdue": -17,
                  "note": "not_due"}],
        "totals": {"dunned": amount, "fee": "5.00", "interest": "1.23", "credits": "-100.00", "total": "1140.79"},
    }


@pytest.mark.parametrize("language, words", [
    ("en", ["not yet due", "under review", "paused", "overdue, below the first level"]),
    ("de", ["noch nicht fällig", "in Klärung", "pausiert", "überfällig, unter der ersten Mahnstufe"]),
    ("fr", ["pas encore échu", "en cours d’examen", "relance suspendue", "échu, sous le premier niveau"]),
    ("es", ["aún no vencida", "en revisión", "en pausa", "vencida, por debajo del primer nivel"]),
    ("ja", ["期日前", "確認中", "督促保留中", "期日経過（督促対象外）"]),
])
def test_info_notes_from_the_core_are_words_of_the_letters_language(language, words):
    from dunning.delivery.pdf import letter_view

    data = letter_data(language)
    data["info"] = [{"number": f"INV-{n}", "due_date": "2026-12-20", "open_amount": "80.00", "days_overdue": -17,
                     "note": note} for n, note in enumerate(["not_due", "disputed", "paused", "below_first_level"])]
    view = letter_view(data, [], locale=language, language=language)
    assert [row[3] for row in view["info"]["rows"]] == words


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_german_letter_shows_amounts_dates_and_words():
    pdf = render_pdf(letter_data("de"), ["Sehr geehrte Damen und Herren,", "bitte zahlen Sie."],
                     title="Zweite Mahnung", locale="de_DE", language="de")
    (page,) = text_of(pdf)
    assert "Zweite Mahnung" in page
    assert "Datum: 3. Dezember 2026" in page
    assert "Kundennummer: 0042" in page
    assert f"INV-1000 21.10.2026 43 1.234,56{NBSP}€ 2" in page
    assert f"CN-7 (Gutschrift) 20.11.2026 -100,00{NBSP}€" in page
    assert f"Mahngebühr 5,00{NBSP}€" in page
    assert f"Verzugszinsen 1,23{NBSP}€" in page
    assert f"Zu zahlender Betrag 1.140,79{NBSP}€" in page
    assert f"INV-2000 20.12.2026 80,00{NBSP}€ noch nicht fällig" in page
    assert "IBAN DE89 3704 0044 0532 0130 00" in page
    assert "Seite 1 von 1" in page


def test_japanese_letter_in_yen():
    data = letter_data("ja", currency="JPY", amount="1235", customer="株式会社山田商事")
    data["credits"], data["info"] = [], []
    data["totals"] = {"dunned": "1235", "fee": "0", "interest": "0", "credits": "0", "total": "1235"}
    pdf = render_pdf(data, ["株式会社山田商事 御中", "お支払いをお願い申し上げます。"], title="お支払いのお願い",
                     locale="ja_JP", language="ja")
    (page,) = text_of(pdf)
    assert "お支払いのお願い" in page
    assert "株式会社山田商事 御中" in page
    assert "INV-1000 2026/10/21 43 ￥1,235 2" in page
    assert "ご請求金額 ￥1,235" in page
    assert "1,235.00" not in page
    assert "1 / 1 ページ" in page


def test_french_letter_over_two_pages_numbers_each_page():
    pdf = render_pdf(letter_data("fr", items=45), ["Madame, Monsieur,", "[items]", "Veuillez agréer…"],
                     locale="fr_FR", language="fr")
    pages = text_of(pdf)
    assert len(pages) == 2
    assert "Page 1 sur 2" in pages[0] and "Page 2 sur 2" in pages[1]
    assert f"INV-1044 21 oct. 2026 43 1{NNBSP}234,56{NBSP}€ 2" in pages[1]
    # the table of items sits where the body says [items]: greeting before it, closing after it
    assert pages[0].index("Madame, Monsieur,") < pages[0].index("INV-1000")
    assert "Veuillez agréer…" in pages[1]


def test_data_is_never_read_as_markup():
    name = '#read("/etc/passwd") *bold* $x^2$ <label> @ref [link] \\ //comment'
    pdf = render_pdf(letter_data("en", customer=name), ["Dear " + name], locale="en", language="en")
    (page,) = text_of(pdf)
    assert '#read("/etc/passwd") *bold* $x^2$ <label> @ref [link] \\ //comment' in page
    assert "root:" not in page


def test_korean_and_chinese_names_are_printable():
    pdf = render_pdf(letter_data("en", customer="주식회사 한빛 / 北京贸易有限公司"), ["Dear customer,"], language="en")
    assert "주식회사 한빛 / 北京贸易有限公司" in text_of(pdf)[0]


def test_characters_no_font_covers_fail_loudly():
    with pytest.raises(MissingGlyphsError) as err:
        render_pdf(letter_data("en", customer="Happy Shop 😀 𓀀"), ["Dear customer,"], language="en")
    message = str(err.value)
    assert "no font can print" in message
    assert "U+1F600 GRINNING FACE" in message
    assert "U+13000 EGYPTIAN HIEROGLYPH A001" in message


def _png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xcc\x00\x00"))
            + chunk(b"IEND", b""))


def test_logo_on_the_letterhead_and_same_letter_same_bytes():
    data = letter_data("en")
    with_logo = render_pdf(data, ["Dear customer,"], language="en", logo=_png_1x1())
    assert len(PdfReader(io.BytesIO(with_logo)).pages[0].images) == 1
    assert render_pdf(data, ["Dear customer,"], language="en", logo=_png_1x1()) == with_logo


def test_body_paragraphs_split_at_blank_lines():
    assert body_paragraphs("Dear A,\n\nline one\nline two\n\n\n\nBye\n") == ["Dear A,", "line one\nline two", "Bye"]


def test_a_logo_that_is_no_image_is_left_off():
    pdf = render_pdf(letter_data("en"), ["Dear customer,"], language="en", logo=b"not an image at all")
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 0


def test_validation_at_save_names_characters_the_pdf_cannot_print():
    from dunning.delivery.sandbox import validate_template

    assert validate_template("Dear {{ customer.name }} 😀", pdf=True) == [
        "the letter contains characters no font can print: '😀' U+1F600 GRINNING FACE"]
    assert validate_template("Dear {{ customer.name }} 😀") == []  # fine in an email
    assert validate_template("{{ customer.name }} 御中", pdf=True) == []
