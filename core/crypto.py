"""Protection of personal data at rest: sealed values under versioned keys, and keyed fingerprints.

An ID card number or a mobile number is stored twice, never in clear: sealed (AES-GCM, so an organizer's
full export can open it) and fingerprinted (HMAC-SHA256, so uniqueness and look-ups by ID number work
without decrypting a table).

Sealing keys are versioned so they can be rotated while the servers run (README, "Rotating the sealing
key"). ``YICHENG_SEAL_KEYS`` lists them as ``version:secret`` pairs, the first being the one new values are
sealed with; version 0, derived from ``YICHENG_SECRET_KEY``, is always known (it sealed everything before
keys had versions). Each sealed value records its version in a header, ``YK`` + two bytes::

    b"YK" | version (2 bytes, big-endian) | nonce (12) | ciphertext+tag     versioned
    nonce (12) | ciphertext+tag                                           version 0, as first written

A version-0 value may start with ``YK`` by chance (1 in 65,536); AES-GCM's tag tells the two apart, so
:func:`open_sealed` tries the header's key first and version 0 second.

The fingerprint key is not rotated: it is what makes an ID number unique and findable, and every process
must compute the same fingerprint at every moment, rotation included. It derives from
``YICHENG_SECRET_KEY`` as before.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from settings import SettingsError, load_settings

_NONCE_BYTES = 12
_MAGIC = b"YK"
_HEADER_BYTES = len(_MAGIC) + 2


class KeyRing:
    """The sealing keys by version and the current one; built from the settings, or given by tests."""

    def __init__(self, keys: dict[int, bytes], current: int) -> None:
        if current not in keys:
            raise SettingsError(f"YICHENG_SEAL_KEYS: the current key version {current} has no key")
        self.keys = keys
        self.current = current

    @classmethod
    def parse(cls, secret_key: str, spec: str) -> KeyRing:
        """``"2:long-secret,1:older-secret"``: versions 1..65535, the first listed is current."""
        keys = {0: _derive(b"yicheng-seal", secret_key)}
        current = 0
        for position, item in enumerate(part.strip() for part in spec.split(",") if part.strip()):
            version_text, _, secret = item.partition(":")
            if not version_text.isdigit() or not 0 < int(version_text) < 65536 or len(secret) < 32:
                raise SettingsError(
                    "YICHENG_SEAL_KEYS: expected version:secret pairs (version 1..65535, secret of at "
                    f"least 32 characters), got {version_text!r}"
                )
            version = int(version_text)
            if version in keys:
                raise SettingsError(f"YICHENG_SEAL_KEYS: version {version} is listed twice")
            keys[version] = _derive(b"yicheng-seal-v", secret)
            if position == 0:
                current = version
        return cls(keys, current)


def _derive(label: bytes, secret: str) -> bytes:
    return hashlib.sha256(label + b"\x00" + secret.encode()).digest()


@lru_cache(maxsize=1)
def key_ring() -> KeyRing:
    settings = load_settings()
    return KeyRing.parse(settings.secret_key, settings.seal_keys)


@lru_cache(maxsize=1)
def _fingerprint_key() -> bytes:
    return _derive(b"yicheng-fingerprint", load_settings().secret_key)


def seal(plain: str, ring: KeyRing | None = None) -> bytes:
    """``plain`` sealed under the current key, its version in the header."""
    ring = ring or key_ring()
    nonce = os.urandom(_NONCE_BYTES)
    body = nonce + AESGCM(ring.keys[ring.current]).encrypt(nonce, plain.encode(), None)
    if ring.current == 0:
        return body  # version 0 keeps the layout it always had
    return _MAGIC + ring.current.to_bytes(2, "big") + body


def _decrypt(key: bytes, body: bytes) -> str:
    nonce, ciphertext = body[:_NONCE_BYTES], body[_NONCE_BYTES:]
    return AESGCM(key).decrypt(nonce, ciphertext, None).decode()


def open_sealed(sealed: bytes, ring: KeyRing | None = None) -> tuple[str, int]:
    """The plain value and the version of the key that sealed it."""
    ring = ring or key_ring()
    if sealed[: len(_MAGIC)] == _MAGIC and len(sealed) > _HEADER_BYTES:
        version = int.from_bytes(sealed[len(_MAGIC) : _HEADER_BYTES], "big")
        key = ring.keys.get(version)
        if key is not None:
            try:
                return _decrypt(key, sealed[_HEADER_BYTES:]), version
            except InvalidTag:
                pass  # a version-0 value whose nonce happens to begin with the header: tried below
    try:
        return _decrypt(ring.keys[0], sealed), 0
    except InvalidTag:
        raise UnknownKey("sealed value: its key is not in YICHENG_SEAL_KEYS (retired too early?)") from None


class UnknownKey(RuntimeError):
    """A sealed value no configured key opens."""


def unseal(sealed: bytes) -> str:
    return open_sealed(sealed)[0]


def fingerprint(plain: str) -> str:
    return hmac.new(_fingerprint_key(), plain.encode(), hashlib.sha256).hexdigest()
