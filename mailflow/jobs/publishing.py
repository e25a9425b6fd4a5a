"""The files an operator serves for verifiers (issuer profile, JWKS, revocation list), written again
from the store on every pass. REVOKE writes them at once, but before its transaction commits; a
commit that then failed, or a second host that took the REVOKE, would leave the served list out of
step with the store until the next start. A pass mends that within a minute."""
from __future__ import annotations

from datetime import datetime

from ..domain.credentials import publish
from .context import JobApp


def publish_credentials(app: JobApp, now: datetime) -> int:
    """1 when the files were written (unchanged ones are left alone), 0 without an issuer key."""
    issuer = app.documents.issuer
    if issuer is None:
        return 0
    with app.store.reading() as session:
        return int(publish(session, app.settings, issuer))
