"""The credentials' public side by mail: KEY / SCHLÜSSEL answers anyone with the programme's
public key (JWKS), its issuer profile and its revocation list; a coordinator's REVOKE <code>
<reason> / WIDERRUFEN <Code> <Grund> revokes a certificate, so that VERIFY says so (with the
reason) and the published revocation list names its credential."""
from __future__ import annotations

from sqlalchemy import select

from ..domain.completion import normalise_code
from ..domain.credentials import publish, revoked
from ..outcomes import Polite
from ..outgoing.compose import Attachment
from ..outgoing.issuer_profile import issuer_id, jwks_url, public_documents, status_url
from ..reasons import Reason
from ..store.models import Certificate
from .context import Context

REASON_LENGTH = 300  # shown to every verifier: a sentence, not a file


def issuer_key(ctx: Context) -> str:
    """The documents a verifier needs, attached as the files an operator serves."""
    key = ctx.documents.issuer
    documents = public_documents(ctx.settings, key, revoked(ctx.session, ctx.settings))
    attachments = tuple(Attachment(name.rsplit("/", 1)[-1], "application/json", content)
                        for name, content in documents.items())
    ctx.answer("issuer_key", attachments=attachments, kid=key.kid, alg=key.alg,
               issuer=issuer_id(ctx.settings), jwks_url=jwks_url(ctx.settings),
               status_url=status_url(ctx.settings),
               jwks=documents[".well-known/jwks.json"].decode("utf-8"))
    return f"issuer key {key.kid} sent"


def revoke(ctx: Context) -> str:
    """REVOKE <code> <reason>: the certificate counts as revoked from now on."""
    argument = ctx.inbound.command.argument if ctx.inbound.command else ""
    code, reason = _code_and_reason(argument)
    if not code or not reason:
        raise Polite(Reason.REVOKE_USAGE, typed=argument.strip()[:60])
    certificate = ctx.session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        raise Polite(Reason.REVOKE_UNKNOWN, code=code)
    if certificate.revoked_at is not None:
        raise Polite(Reason.REVOKE_ALREADY, code=code, revoked_on=certificate.revoked_at,
                     reason=certificate.revoked_reason)
    certificate.revoked_at, certificate.revoked_reason = ctx.now, reason[:REASON_LENGTH]
    ctx.session.flush()
    if ctx.documents.issuer is not None:  # the served list, with this one in it
        publish(ctx.session, ctx.settings, ctx.documents.issuer)
    ctx.answer("certificate_revoked", code=code, reason=certificate.revoked_reason,
               period_from=certificate.period_from, period_until=certificate.period_until)
    return f"certificate {code} revoked"


def _code_and_reason(argument: str) -> tuple[str, str]:
    """The code (typed as one word, or in up to three groups) and the words after it."""
    words = argument.split()
    for count in (1, 2, 3):
        code = normalise_code("".join(words[:count]))
        if code:
            return code, " ".join(words[count:]).strip()
    return "", ""
