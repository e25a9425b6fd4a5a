"""The programme's issuer key: the private key that signs every Open Badges credential (VC-JWT),
and its public part as a JSON Web Key Set a verifier fetches.

Like the secret, a newcomer sets nothing: on first start an EC P-256 key (JWS alg ES256, which
every JOSE library verifies; RFC 9864 deprecates the alg name EdDSA) is generated into
MAILFLOW_HOME (mode 0600). An operator may name their own PEM file instead (MAILFLOW_ISSUER_KEY),
P-256 (ES256) or Ed25519 (EdDSA). The key id is the key's RFC 7638 thumbprint, so the
same key always has the same kid and a new key can never be mistaken for the old one. Signing is
joserfc's (RFC 7515 compact serialization); no cryptography is written here.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

KEY_FILE = "issuer_key.pem"


class IssuerKey:
    """One signing key with its JWS algorithm and key id."""

    def __init__(self, private_key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        if isinstance(private_key, ed25519.Ed25519PrivateKey):
            self.alg, self._key = "EdDSA", OKPKey.import_key(private_key)
        elif isinstance(private_key, ec.EllipticCurvePrivateKey) and \
                isinstance(private_key.curve, ec.SECP256R1):
            self.alg, self._key = "ES256", ECKey.import_key(private_key)
        else:
            raise ValueError("the issuer key must be Ed25519 or EC P-256")
        self.kid = self._key.thumbprint()

    def sign(self, claims: dict, *, typ: str = "vc+jwt") -> str:
        """claims as a compact JWS (a JWT) with alg, kid and typ in its protected header."""
        payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        header = {"alg": self.alg, "kid": self.kid, "typ": typ}
        return jws.serialize_compact(header, payload, self._key, algorithms=[self.alg])

    def public_jwk(self) -> dict:
        """The public key as a JWK, with what a verifier needs to pick it (kid, alg, use)."""
        public = dict(self._key.as_dict(private=False))
        public.update(kid=self.kid, alg=self.alg, use="sig")
        return public

    def jwks(self) -> dict:
        return {"keys": [self.public_jwk()]}


def issuer_key_path(home: Path, configured: str) -> Path:
    return Path(configured) if configured else home / KEY_FILE


def load_issuer_key(path: Path) -> IssuerKey:
    """The key in path (PEM, PKCS#8 or the curve's own form); generated there when missing."""
    if not path.exists():
        _generate(path)
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return IssuerKey(private_key)


def _generate(path: Path) -> None:
    """A new P-256 key written beside the secret. Written to a temporary file and linked into
    place, so two processes starting at once keep the same key (the second link fails)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process was first: its key counts
    finally:
        temporary.unlink()
