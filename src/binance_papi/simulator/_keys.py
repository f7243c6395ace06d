"""The key registry: which API keys exist, how each one's signatures are checked, and whose account it opens.

Verification is written here from Binance's rules, independently of the client's signing code
(`binance_papi._signing`): a simulator that reused the client's signer would agree with the client's
bugs instead of catching them.

Each key has a `Verifier`. HMAC keys hold the secret and expect lower-case hex. RSA and Ed25519 keys
hold the public key and expect a base64 signature that the client then percent-encoded (`+`, `/`, `=`):
the verifier percent-decodes it itself (`+` as a space, as for any parameter, so an unencoded `+` fails),
base64-decodes it and verifies it over the same payload. That is why `verify` receives the raw,
still-encoded bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeGuard
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    from ._accounts import Account

__all__ = ["HmacVerifier", "KeyEntry", "KeyRegistry", "PublicKeyVerifier", "Verifier", "is_well_formed_key"]

_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{64}")
_LOWER_HEX_64 = re.compile(rb"[0-9a-f]{64}")


def is_well_formed_key(api_key: str | None) -> TypeGuard[str]:
    """Binance's API-key format: 64 alphanumeric characters (anything else is -2014)."""
    return api_key is not None and _KEY_FORMAT.fullmatch(api_key) is not None


class Verifier(Protocol):
    """Checks one key type's signature.

    `payload` is exactly the raw query bytes before `&signature=`; `signature` is the raw value of
    `signature` as received (still percent-encoded).
    """

    @property
    def key_type(self) -> str: ...

    def verify(self, payload: bytes, signature: bytes) -> bool: ...


class HmacVerifier:
    """HMAC-SHA256 keyed with the secret; the signature must be 64 lower-case hex characters."""

    __slots__ = ("_secret",)

    def __init__(self, secret: str | bytes) -> None:
        self._secret = secret.encode("utf-8") if isinstance(secret, str) else secret

    @property
    def key_type(self) -> str:
        return "HMAC"

    def verify(self, payload: bytes, signature: bytes) -> bool:
        if _LOWER_HEX_64.fullmatch(signature) is None:
            return False
        expected = hmac.new(self._secret, payload, hashlib.sha256).hexdigest().encode("ascii")
        return hmac.compare_digest(expected, signature)

    def __repr__(self) -> str:
        return "HmacVerifier(secret=***)"


class PublicKeyVerifier:
    """An RSA (PKCS#1 v1.5 with SHA-256) or Ed25519 public key, from PEM; imports `cryptography` lazily."""

    __slots__ = ("_key",)

    def __init__(self, public_key_pem: bytes | str) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

        pem = public_key_pem.encode("ascii") if isinstance(public_key_pem, str) else public_key_pem
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
            raise TypeError(f"Binance keys are RSA or Ed25519, not {type(key).__name__}")
        self._key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey = key

    @property
    def key_type(self) -> str:
        from cryptography.hazmat.primitives.asymmetric import rsa

        return "RSA" if isinstance(self._key, rsa.RSAPublicKey) else "Ed25519"

    def verify(self, payload: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        try:
            raw = base64.b64decode(unquote_to_bytes(signature.replace(b"+", b" ")), validate=True)
        except (binascii.Error, ValueError):
            return False
        try:
            if isinstance(self._key, rsa.RSAPublicKey):
                self._key.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
            else:
                self._key.verify(raw, payload)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"PublicKeyVerifier(key_type={self.key_type!r})"


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One registered API key."""

    api_key: str
    verifier: Verifier
    account: Account


class KeyRegistry:
    """API key -> (verifier, account). Lookups happen on the server's loop; changes come from tests."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[str, KeyEntry] = {}

    def add(self, api_key: str, verifier: Verifier, account: Account) -> KeyEntry:
        if not is_well_formed_key(api_key):
            raise ValueError("an API key is 64 alphanumeric characters (Binance's format)")
        entry = KeyEntry(api_key, verifier, account)
        # Copy-on-write: a lookup running on the server thread never sees a dict being resized.
        self._entries = {**self._entries, api_key: entry}
        return entry

    def add_account(self, account: Account) -> KeyEntry:
        """Register `account` under its own HMAC key."""
        return self.add(account.api_key, HmacVerifier(account.api_secret), account)

    def remove(self, api_key: str) -> None:
        self._entries = {k: v for k, v in self._entries.items() if k != api_key}

    def get(self, api_key: str) -> KeyEntry | None:
        return self._entries.get(api_key)

    def __contains__(self, api_key: object) -> bool:
        return api_key in self._entries

    def __len__(self) -> int:
        return len(self._entries)
