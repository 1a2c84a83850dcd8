"""Encryption at rest for personal data (个人信息保护法: ID numbers, phone numbers).

Values are sealed with AES-256-GCM under a key from the environment (`GONGZHI_FIELD_KEY`,
32 bytes, base64). In development a random key is generated once into `var/field.key`.
Exact-value search goes through a keyed hash (HMAC-SHA256 with a sub-key derived from the
same master key), so the database never holds the plain value or an unkeyed hash of it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "v1:"


@functools.cache
def _master_key() -> bytes:
    raw = settings.GONGZHI_FIELD_KEY
    if not raw:
        path = settings.GONGZHI_FIELD_KEY_FILE
        if path.exists():
            raw = path.read_text().strip()
        elif settings.DEBUG:
            path.parent.mkdir(parents=True, exist_ok=True)
            raw = base64.b64encode(os.urandom(32)).decode()
            path.write_text(raw + "\n")
            path.chmod(0o600)
        else:
            raise ImproperlyConfigured("GONGZHI_FIELD_KEY is not set.")
    try:
        key = base64.b64decode(raw)
    except ValueError as exc:  # pragma: no cover - configuration error
        raise ImproperlyConfigured("GONGZHI_FIELD_KEY must be base64.") from exc
    if len(key) != 32:
        raise ImproperlyConfigured("GONGZHI_FIELD_KEY must decode to 32 bytes.")
    return key


def _subkey(purpose: bytes) -> bytes:
    return hmac.new(_master_key(), purpose, hashlib.sha256).digest()


@functools.cache
def _aead() -> AESGCM:
    return AESGCM(_subkey(b"gongzhi-field-encryption"))


def encrypt(plain: str, context: bytes | None = None) -> str:
    """Seal `plain`; `context` (e.g. b"table.column") is authenticated, so a value copied to
    another column does not decrypt there."""
    nonce = os.urandom(12)
    sealed = _aead().encrypt(nonce, plain.encode(), context)
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str, context: bytes | None = None) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    raw = base64.b64decode(token[len(PREFIX) :])
    return _aead().decrypt(raw[:12], raw[12:], context).decode()


def check_key() -> None:
    """Raise ImproperlyConfigured unless the field key is usable (called by a system check)."""
    _master_key()


def normalise(value: str) -> str:
    return "".join(value.split()).upper()


def blind_index(value: str, purpose: str) -> str:
    """Keyed hash of a normalised value, for exact-match lookups."""
    if not value:
        return ""
    return hmac.digest(_index_key(purpose), normalise(value).encode(), "sha256").hex()


@functools.cache
def _index_key(purpose: str) -> bytes:
    return _subkey(b"gongzhi-blind-index:" + purpose.encode())


class EncryptedCharField(models.TextField):
    """A text column that holds `encrypt(value)`; Python code sees the plain value.

    Not searchable or orderable in SQL: pair it with a blind-index column.
    """

    encrypted = True

    @property
    def context(self) -> bytes:
        return f"{self.model._meta.db_table}.{self.column}".encode()

    def seal(self, value: str) -> str:
        """The stored form of `value` in this column (for bulk writers that bypass the ORM)."""
        return encrypt(value, self.context) if value else value

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value, self.context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value), self.context)
