"""Password policy: length 12 to 128, and nothing zxcvbn finds guessable.

zxcvbn ships its word lists (common passwords, names, words) inside the package; nothing is
downloaded at run time. The reason for a refusal is given in German.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zxcvbn import zxcvbn

from steuerung.services.common.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 128
#: zxcvbn score 0-4; 3 means about 10^8 guesses and more ("safely unguessable" online).
MIN_SCORE = 3
#: zxcvbn's own input limit; longer passwords are judged by their first 72 characters.
_ZXCVBN_MAX = 72

_DICTIONARY_REASONS = {
    "passwords": "Es ist ein häufig verwendetes Passwort oder baut auf einem solchen auf.",
    "user_inputs": (
        "Es enthält Ihren Namen, Ihren Benutzernamen, den Namen der Kommune oder der Anwendung."
    ),
}
_PATTERN_REASONS = {
    "dictionary": "Es besteht im Wesentlichen aus einem bekannten Wort oder Namen.",
    "repeat": "Es besteht aus Wiederholungen (etwa „aaaa“ oder „abcabc“).",
    "sequence": "Es enthält eine einfache Folge (etwa „1234“ oder „abcd“).",
    "spatial": "Es folgt einem Muster auf der Tastatur (etwa „qwertz“ oder „asdf“).",
    "date": "Es besteht im Wesentlichen aus einem Datum.",
    "regex": "Es besteht im Wesentlichen aus einer Jahreszahl.",
}
_FALLBACK_REASON = "Es ist zu kurz oder zu einfach aufgebaut."


def _reason(sequence: Sequence[Mapping[str, Any]]) -> str:
    """The German reason for the longest guessable part of the password."""
    parts = [m for m in sequence if m.get("pattern") != "bruteforce"]
    if not parts:
        return _FALLBACK_REASON
    worst = max(parts, key=lambda m: len(m.get("token", "")))
    if worst["pattern"] == "dictionary":
        return _DICTIONARY_REASONS.get(
            worst.get("dictionary_name", ""), _PATTERN_REASONS["dictionary"]
        )
    return _PATTERN_REASONS.get(worst["pattern"], _FALLBACK_REASON)


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """None if ``password`` is acceptable, else a German sentence saying why not."""
    if len(password) < MIN_LENGTH:
        return f"Das Passwort muss mindestens {MIN_LENGTH} Zeichen lang sein."
    if len(password) > MAX_LENGTH:
        return f"Das Passwort darf höchstens {MAX_LENGTH} Zeichen lang sein."
    inputs = [word for value in user_inputs if value for word in _words(value)]
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    return (
        "Dieses Passwort ist zu leicht zu erraten. "
        + _reason(result["sequence"])
        + " Tipp: mehrere zufällige Wörter mit Ziffern oder Sonderzeichen dazwischen."
    )


def _words(value: str) -> list[str]:
    """A value and its parts (``"Anna Beispiel"`` -> the whole, ``anna``, ``beispiel``)."""
    lowered = value.strip().lower()
    pieces = [p for p in lowered.replace("@", " ").replace(".", " ").split() if len(p) >= 3]
    return [lowered, *pieces]


def check_password_policy(
    password: str, user_inputs: Iterable[str] = (), field: str = "password"
) -> None:
    """Raise :class:`ValidationFailed` (German, on ``field``) if ``password`` is refused."""
    problem = password_problem(password, user_inputs)
    if problem:
        raise ValidationFailed(problem, field)
