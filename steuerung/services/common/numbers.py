"""Reading numbers and euro amounts as people type them: the one parser of the application.

Forms, imports and the API all read amounts here, so "1.234,56" means the same everywhere.

Accepted: ``1234``, ``1234,56`` and ``1.234,56`` (German), ``1234.56`` and ``1,234.56`` (as
typed from English software), ``12 €``, spaces or non-breaking spaces as thousands
separators. Where both ``.`` and ``,`` occur, the one that comes last separates the decimals
and the other must group thousands correctly. A lone ``.`` followed by exactly three digits
groups thousands (``1.000`` is one thousand, as a German reads it); a lone ``,`` always
separates decimals. Spreadsheet numbers (int, float, Decimal) are taken as they are.
Anything else raises :class:`NumberError` whose message says in German what is wrong.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

#: Largest amount a Numeric(14, 2) column holds.
MAX_AMOUNT = Decimal("999999999999.99")
_DIGITS = re.compile(r"^\d+$")
_GROUPED = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'€")


class NumberError(ValueError):
    """Input that is not a number of the expected kind; ``str(error)`` is German."""


def _not_a_number(raw: str) -> str:
    return f"Bitte geben Sie eine Zahl ein, z. B. 1.234,56 („{raw}“ ist keine)."


def _normalise(raw: str) -> str:
    """``raw`` without spaces and currency sign, with ``.`` as the only decimal separator."""
    sign = ""
    if raw[:1] in "+-":
        sign, raw = ("-" if raw[0] == "-" else ""), raw[1:]
    if not raw:
        raise NumberError("Bitte geben Sie eine Zahl ein, z. B. 1.234,56.")
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_sep = "," if last_comma > last_dot else "."
        whole, _, fraction = raw.rpartition(decimal_sep)
        if not _GROUPED.match(whole) or ("," in whole and "." in whole):
            raise NumberError(
                f"„{raw}“: Tausendertrennzeichen stehen nach je drei Ziffern, z. B. 1.234.567,89."
            )
        whole = whole.replace(".", "").replace(",", "")
    elif last_comma >= 0:
        if raw.count(",") > 1:
            if not _GROUPED.match(raw):
                raise NumberError(
                    f"„{raw}“ enthält mehrere Kommas. Bitte nur eines als Dezimaltrennzeichen "
                    "verwenden, z. B. 1.234,56."
                )
            whole, fraction = raw.replace(",", ""), ""
        else:
            whole, _, fraction = raw.partition(",")
    elif last_dot >= 0:
        if _GROUPED.match(raw):
            whole, fraction = raw.replace(".", ""), ""
        elif raw.count(".") > 1:
            raise NumberError(
                f"„{raw}“: Tausenderpunkte stehen nach je drei Ziffern, z. B. 1.234.567."
            )
        else:
            whole, _, fraction = raw.partition(".")
    else:
        whole, fraction = raw, ""
    if not _DIGITS.match(whole or "0") or (fraction and not _DIGITS.match(fraction)):
        raise NumberError(_not_a_number(raw))
    return f"{sign}{whole or '0'}" + (f".{fraction}" if fraction else "")


def parse_decimal(
    value: object,
    *,
    places: int | None = 2,
    minimum: Decimal | None = Decimal("0"),
    maximum: Decimal | None = MAX_AMOUNT,
    noun: str = "Wert",
) -> Decimal:
    """Read ``value`` as a number (see the module docstring); raise :class:`NumberError`.

    ``places`` is the most decimal places allowed (None: any); ``minimum`` and ``maximum``
    bound the value (None: unbounded); ``noun`` names it in messages ("Wert", "Betrag").
    The result keeps the digits that were typed.
    """
    if isinstance(value, bool):
        raise NumberError("Bitte geben Sie eine Zahl ein, z. B. 1.234,56.")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        raw = str(value if value is not None else "").strip().translate(_SPACES)
        if not raw:
            raise NumberError("Bitte geben Sie eine Zahl ein, z. B. 1.234,56.")
        try:
            number = Decimal(_normalise(raw))
        except InvalidOperation:
            raise NumberError(_not_a_number(raw)) from None
    if not number.is_finite():
        raise NumberError("Bitte geben Sie eine Zahl ein, z. B. 1.234,56.")
    if maximum is not None and number > maximum:
        raise NumberError(f"Der {noun} ist zu groß.")
    if places is not None and number.normalize().as_tuple().exponent < -places:  # type: ignore[operator]
        raise NumberError(
            "Bitte höchstens zwei Nachkommastellen angeben."
            if places == 2
            else f"Bitte höchstens {places} Nachkommastellen angeben."
        )
    if minimum is not None and number < minimum:
        if minimum == 0:
            raise NumberError(f"Der {noun} darf nicht negativ sein.")
        raise NumberError(f"Der {noun} muss mindestens {format(minimum, 'f')} betragen.")
    return number


def parse_amount(value: object) -> Decimal:
    """A euro amount: not negative, at most two decimal places, cents kept (``Decimal``)."""
    return parse_decimal(value, noun="Betrag").quantize(Decimal("0.01"))


def format_amount_input(value: Decimal | None) -> str:
    """An amount as shown in an input field (``1234,56``)."""
    if value is None:
        return ""
    return format(value.quantize(Decimal("0.01")), "f").replace(".", ",")
