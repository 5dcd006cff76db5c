"""Password hashes: Argon2id with the parameters of the OWASP Password Storage Cheat Sheet.

Argon2id with 19 MiB of memory, two passes and one lane is OWASP's first recommendation; the
scrypt hashes stored before (werkzeug, N = 2^15, below OWASP's scrypt minimum of 2^17) and
any other werkzeug method still verify, and an account's hash is replaced by the configured
method at its next successful login (:func:`needs_rehash`). Measured on the load machine: an
Argon2id check takes 17 ms of CPU, the scrypt check took about 100 ms, and under
``make load`` every login's check shares the two cores with everybody's pages.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash, generate_password_hash

#: ``PASSWORD_HASH_METHOD`` value for Argon2id; anything else is a werkzeug method.
ARGON2ID = "argon2id"
_PREFIX = "$argon2"
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_password(password: str, method: str) -> str:
    """A salted hash of ``password`` by ``method``."""
    if method == ARGON2ID:
        return _hasher.hash(password)
    return generate_password_hash(password, method=method)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (any supported method; False if malformed)."""
    if stored.startswith(_PREFIX):
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    if "$" not in stored:
        return False
    return check_password_hash(stored, password)


def needs_rehash(stored: str, method: str) -> bool:
    """Whether ``stored`` was made by another method or with other parameters than now."""
    if method == ARGON2ID:
        return not stored.startswith(_PREFIX + "id$") or _hasher.check_needs_rehash(stored)
    return stored.split("$", 1)[0] != _werkzeug_prefix(method)


@cache
def _werkzeug_prefix(method: str) -> str:
    """What werkzeug writes before the salt for ``method`` ("scrypt" -> "scrypt:32768:8:1")."""
    return generate_password_hash("", method=method).split("$", 1)[0]
