"""Protection of personal data at rest: sealed values and keyed fingerprints.

An ID card number or a mobile number is stored twice, never in clear: sealed (AES-GCM, so an organizer's
full export can open it) and fingerprinted (HMAC-SHA256, so uniqueness and look-ups by ID number work
without decrypting a table). Both keys derive from the one ``YICHENG_SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from settings import load_settings

_NONCE_BYTES = 12


@lru_cache(maxsize=1)
def _keys() -> tuple[bytes, bytes]:
    secret = load_settings().secret_key.encode()
    seal_key = hashlib.sha256(b"yicheng-seal\x00" + secret).digest()
    fingerprint_key = hashlib.sha256(b"yicheng-fingerprint\x00" + secret).digest()
    return seal_key, fingerprint_key


def seal(plain: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_keys()[0]).encrypt(nonce, plain.encode(), None)


def unseal(sealed: bytes) -> str:
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return AESGCM(_keys()[0]).decrypt(nonce, ciphertext, None).decode()


def fingerprint(plain: str) -> str:
    return hmac.new(_keys()[1], plain.encode(), hashlib.sha256).hexdigest()
