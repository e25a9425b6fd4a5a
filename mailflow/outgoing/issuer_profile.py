"""Where a verifier finds the issuer: the issuer profile (an Open Badges 3.0 Profile naming the
programme, its signing keys and its revocation list), the JWKS, and the revocation list itself.

An operator serves the folder MAILFLOW_HOME/public/ at the issuer's address (issuer.json,
revocations.json, .well-known/jwks.json); the same documents are answered by mail to KEY. The
revocation list follows the 1EdTech Revocation List status method: a credential whose id is
listed under revokedCredentials is revoked, with the reason given there.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from ..config import Settings
from .credential import CONTEXT
from .issuer_key import IssuerKey

PUBLIC_DIR = "public"
PROFILE_FILE, REVOCATIONS_FILE, JWKS_FILE = "issuer.json", "revocations.json", "jwks.json"


def issuer_id(settings: Settings) -> str:
    return settings.issuer_url or f"https://{settings.domain}/{PROFILE_FILE}"


def _beside_profile(settings: Settings, path: str) -> str:
    parts = urlsplit(issuer_id(settings))
    base = parts.path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, f"{base}/{path}", "", ""))


def status_url(settings: Settings) -> str:
    return _beside_profile(settings, REVOCATIONS_FILE)


def jwks_url(settings: Settings) -> str:
    return _beside_profile(settings, f".well-known/{JWKS_FILE}")


def verification_link(settings: Settings, code: str) -> str:
    """What the QR code opens: the operator's page (MAILFLOW_VERIFY_URL, with {code} filled in or
    ?code= added), else a mail to hello@ with VERIFY <code> prefilled."""
    if settings.verify_url:
        if "{code}" in settings.verify_url:
            return settings.verify_url.replace("{code}", quote(code))
        joiner = "&" if "?" in settings.verify_url else "?"
        return f"{settings.verify_url}{joiner}code={quote(code)}"
    return f"mailto:{settings.hello_address}?subject={quote(f'VERIFY {code}')}"


def issuer_profile(settings: Settings, key: IssuerKey) -> dict:
    """The issuer as a Profile, with where its keys and its revocation list are."""
    profile = {"@context": CONTEXT, "id": issuer_id(settings), "type": ["Profile"],
               "name": settings.programme, "email": settings.hello_address,
               "revocationList": status_url(settings), "jwks_uri": jwks_url(settings),
               "publicKeyJwk": key.public_jwk()}
    if settings.verify_url:
        profile["url"] = settings.verify_url
    return profile


def revocation_list(settings: Settings, revoked: list[tuple[str, str]]) -> dict:
    """revoked: (credential id, reason) pairs."""
    return {"id": status_url(settings), "issuer": issuer_id(settings),
            "revokedCredentials": [{"id": identity, "revocationReason": reason}
                                   for identity, reason in revoked]}


def public_documents(settings: Settings, key: IssuerKey,
                     revoked: list[tuple[str, str]]) -> dict[str, bytes]:
    """The published files by their path under public/."""
    def shown(document: dict) -> bytes:
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return {PROFILE_FILE: shown(issuer_profile(settings, key)),
            REVOCATIONS_FILE: shown(revocation_list(settings, revoked)),
            f".well-known/{JWKS_FILE}": shown(key.jwks())}


def write_public(home: Path, documents: dict[str, bytes]) -> bool:
    """The documents written under home/public/, each replaced in one step (a web server never
    serves half a file); a file that holds its content already is left alone. Whether any
    changed."""
    changed = False
    for name, content in documents.items():
        path = home / PUBLIC_DIR / name
        if path.exists() and path.read_bytes() == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_bytes(content)
        os.replace(temporary, path)
        changed = True
    return changed
