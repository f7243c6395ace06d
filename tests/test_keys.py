"""RSA and Ed25519 keys: signatures verify with the public key; bad keys give clear errors without key material."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from binance_papi import BinanceAuth, RequestValidationError, signed_client
from binance_papi._keys import Ed25519Signer, RsaSigner, load_signer

API_KEY = "K" * 64
PAYLOAD = b"asset=a+b%2Bc%2F%C3%A9&recvWindow=5000&timestamp=1700000000000"


def pem(
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey, passphrase: bytes | None = None
) -> bytes:
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


@pytest.fixture(scope="module")
def rsa2048() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa4096() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=4096)


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def decode(signature: bytes) -> bytes:
    """What the server does: percent-decode, then base64-decode."""
    assert all(c not in signature for c in b"+/="), "base64 must be percent-encoded for the query string"
    return base64.b64decode(unquote_to_bytes(signature), validate=True)


@pytest.mark.parametrize("key_name", ["rsa2048", "rsa4096"])
def test_rsa_signature_verifies(key_name: str, request: pytest.FixtureRequest) -> None:
    key: rsa.RSAPrivateKey = request.getfixturevalue(key_name)
    signer = load_signer(pem(key))
    assert isinstance(signer, RsaSigner)
    key.public_key().verify(decode(signer.sign(PAYLOAD)), PAYLOAD, padding.PKCS1v15(), hashes.SHA256())


def test_ed25519_signature_verifies(ed_key: ed25519.Ed25519PrivateKey) -> None:
    signer = load_signer(pem(ed_key))
    assert isinstance(signer, Ed25519Signer)
    ed_key.public_key().verify(decode(signer.sign(PAYLOAD)), PAYLOAD)


def test_keys_load_from_bytes_string_and_path(ed_key: ed25519.Ed25519PrivateKey, tmp_path: Path) -> None:
    data = pem(ed_key)
    path = tmp_path / "key.pem"
    path.write_bytes(data)
    for source in (data, data.decode(), str(path), path):
        assert load_signer(source).sign(PAYLOAD) == load_signer(data).sign(PAYLOAD)


def test_encrypted_key_with_passphrase(ed_key: ed25519.Ed25519PrivateKey) -> None:
    data = pem(ed_key, b"correct horse")
    signer = load_signer(data, "correct horse")
    ed_key.public_key().verify(decode(signer.sign(PAYLOAD)), PAYLOAD)


PASSPHRASES = ("correct horse", "wrong horse")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("encrypted-no-passphrase", "the private key is encrypted: give its passphrase"),
        ("wrong-passphrase", "wrong passphrase"),
        ("corrupt", "corrupt"),
        ("not-pem", "not a PEM private key"),
        ("ec-key", "unsupported key type EC"),
        ("rsa-1024", "RSA keys must be 2048 or 4096 bits"),
        ("missing-file", "cannot read the private key file"),
        ("passphrase-for-plain-key", "not encrypted"),
    ],
)
def test_bad_keys_name_the_problem_without_key_material(
    case: str, message: str, ed_key: ed25519.Ed25519PrivateKey, tmp_path: Path
) -> None:
    encrypted = pem(ed_key, b"correct horse")
    plain = pem(ed_key)
    body = plain.decode().splitlines()
    corrupt = "\n".join([body[0], body[1][: len(body[1]) // 2], *body[2:]]).encode()
    sources: dict[str, tuple[bytes | str, str | None]] = {
        "encrypted-no-passphrase": (encrypted, None),
        "wrong-passphrase": (encrypted, "wrong horse"),
        "corrupt": (corrupt, None),
        "not-pem": (b"this is not a key", None),
        "ec-key": (pem(ec.generate_private_key(ec.SECP256R1())), None),
        "rsa-1024": (pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)), None),  # noqa: S505
        "missing-file": (str(tmp_path / "nope.pem"), None),
        "passphrase-for-plain-key": (plain, "correct horse"),
    }
    source, passphrase = sources[case]
    with pytest.raises(RequestValidationError, match=message) as caught:
        load_signer(source, passphrase)
    text = str(caught.value) + repr(caught.value)
    assert caught.value.__cause__ is None
    for marker in (*PASSPHRASES, body[1][:16], body[1][-16:]):
        assert marker not in text


def test_factory_takes_a_private_key_and_masks_it(ed_key: ed25519.Ed25519PrivateKey, tmp_path: Path) -> None:
    path = tmp_path / "ed.pem"
    path.write_bytes(pem(ed_key, b"pw"))
    client = signed_client(API_KEY, private_key=path, private_key_passphrase="pw")
    assert client.auth.key_type == "Ed25519"
    text = repr(client) + repr(client.auth)
    assert "Ed25519" in text
    assert "KKKK***" in text
    assert API_KEY not in text
    assert "pw" not in text.replace("papi", "")


def test_factory_wants_exactly_one_credential(ed_key: ed25519.Ed25519PrivateKey) -> None:
    with pytest.raises(RequestValidationError, match="not both"):
        signed_client(API_KEY, "secret", private_key=pem(ed_key))
    with pytest.raises(RequestValidationError, match="give api_secret"):
        signed_client(API_KEY)
    with pytest.raises(RequestValidationError, match="goes with private_key"):
        signed_client(API_KEY, "secret", private_key_passphrase="pw")


def test_signature_is_appended_last_and_query_safe(rsa2048: rsa.RSAPrivateKey) -> None:
    auth = BinanceAuth(API_KEY, load_signer(pem(rsa2048)), clock=lambda: 1)
    signed = auth.sign_query(b"asset=BTC")
    head, _, signature = signed.rpartition(b"&signature=")
    assert head == b"asset=BTC&recvWindow=5000&timestamp=1"
    assert signature.isascii()
    assert b"&" not in signature
    rsa2048.public_key().verify(decode(signature), head, padding.PKCS1v15(), hashes.SHA256())
