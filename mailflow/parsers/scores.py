"""A one-question answer on a scale of 1 to 5 (the relationship pulse): the score a reply gives,
read from the first line the person wrote, else from the subject our one-click link prefilled.
Reads only; never raises."""
from __future__ import annotations

import re

from .commands import strip_reply_prefixes

# a lone digit 1–5 (optionally "4/5", "4 of 5", "4 von 5"), or one to five stars
_DIGIT = re.compile(r"^[\s*_\"'„“(]*([1-5])(?:\s*(?:/|of|von|aus)\s*5)?(?![\d.,:])")
_STARS = re.compile(r"^\s*([★⭐]{1,5})\s*$")


def read_score(subject: str, new_text: str) -> tuple[int | None, str]:
    """(score, comment): the score on the first non-empty line of new_text (or alone in the
    subject), and what the person wrote after it. (None, text) when there is no score."""
    lines = [line.strip() for line in (new_text or "").splitlines()]
    written = [line for line in lines if line]
    if written:
        score, rest = _score_at_start(written[0])
        if score is not None:
            return score, "\n".join([rest, *written[1:]]).strip()
    score, rest = _score_at_start(strip_reply_prefixes(subject or ""))
    if score is not None and not rest:
        return score, "\n".join(written).strip()
    return None, "\n".join(written).strip()


def _score_at_start(line: str) -> tuple[int | None, str]:
    stars = _STARS.match(line)
    if stars:
        return len(stars.group(1)), ""
    digit = _DIGIT.match(line)
    if digit is None:
        return None, line
    return int(digit.group(1)), line[digit.end():].strip(" \t-–—:,.;!")
