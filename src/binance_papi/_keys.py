"""Asymmetric API keys: RSA and Ed25519 signers, and loading their private keys safely.

Binance recommends these key types because the private key never leaves the user's machine; Binance only
holds the public key. The signature is computed over the same payload as HMAC's (the exact encoded query
string), base64-encoded, then percent-encoded (`+`, `/`, `=`) because it travels in the query string.

This module imports `cryptography`; `binance_papi` imports it only when a private key is used.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from urllib.parse import quote

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from ._errors import RequestValidationError

RSA_SIZES = (2048, 4096)
KeySource = bytes | str | os.PathLike[str]


def _query_safe(signature: bytes) -> bytes:
    return quote(base64.b64encode(signature), safe="").encode("ascii")


class RsaSigner:
    """RSASSA-PKCS1-v1_5 with SHA-256 (Binance's "RSA" key type)."""

    key_type = "RSA"
    __slots__ = ("_key",)

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        if key.key_size not in RSA_SIZES:
            raise RequestValidationError(f"RSA keys must be 2048 or 4096 bits for Binance, this one is {key.key_size}")
        self._key = key

    def redactions(self) -> tuple[str, ...]:
        return ()  # the private key never leaves the signer as text

    def sign(self, payload: bytes) -> bytes:
        return _query_safe(self._key.sign(payload, padding.PKCS1v15(), hashes.SHA256()))

    def __repr__(self) -> str:
        return f"RsaSigner(bits={self._key.key_size}, private_key=***)"


class Ed25519Signer:
    """Ed25519 (Binance's "Ed25519" key type)."""

    key_type = "Ed25519"
    __slots__ = ("_key",)

    def __init__(self, key: ed25519.Ed25519PrivateKey) -> None:
        self._key = key

    def redactions(self) -> tuple[str, ...]:
        return ()  # the private key never leaves the signer as text

    def sign(self, payload: bytes) -> bytes:
        return _query_safe(self._key.sign(payload))

    def __repr__(self) -> str:
        return "Ed25519Signer(private_key=***)"


def _pem_bytes(source: KeySource) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str) and "-----BEGIN" in source:
        return source.encode("ascii", errors="replace")
    path = Path(source)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RequestValidationError(f"cannot read the private key file {path}: {exc.strerror}") from None


def load_signer(source: KeySource, passphrase: str | bytes | None = None) -> RsaSigner | Ed25519Signer:
    """A signer for an RSA or Ed25519 private key given as PEM bytes, a PEM string or a file path.

    Errors name the problem (unreadable file, not a PEM private key, encrypted without a passphrase, wrong
    passphrase, unsupported key type or size) and never include key material.
    """
    pem = _pem_bytes(source)
    if b"-----BEGIN" not in pem or b"PRIVATE KEY-----" not in pem:
        raise RequestValidationError("the private key is not a PEM private key (expected -----BEGIN PRIVATE KEY-----)")
    password = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        key = serialization.load_pem_private_key(pem, password=password or None)
    except TypeError:
        if password:
            raise RequestValidationError("a passphrase was given but the private key is not encrypted") from None
        raise RequestValidationError("the private key is encrypted: give its passphrase") from None
    except ValueError:
        if password:
            raise RequestValidationError(
                "could not decrypt the private key: wrong passphrase, or a corrupt key"
            ) from None
        raise RequestValidationError("the private key is corrupt or not PKCS#8/PKCS#1 PEM") from None
    except UnsupportedAlgorithm:
        raise RequestValidationError("the private key uses an unsupported algorithm or encryption") from None
    if isinstance(key, rsa.RSAPrivateKey):
        return RsaSigner(key)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(key)
    kind = type(key).__name__.removeprefix("_").replace("PrivateKey", "")
    raise RequestValidationError(f"unsupported key type {kind}: Binance API keys are HMAC, RSA or Ed25519")
