"""Which of the offered options a reply picks: "2", "2.", "#2", "Option 2", "Termin 2", "Nr. 2"
alone on the first line the person wrote. A pure reader; which options exist is the flow's
business."""
from __future__ import annotations

import re

_CHOICE = re.compile(r"^(?:option|termin|vorschlag|slot|nummer|number|nr\.?|no\.?|#)?\s*"
                     r"([1-9])\s*[.)!]?$", re.IGNORECASE)


def read_choice(new_text: str) -> int | None:
    """The number picked on the first non-empty line, or None when that line is something else."""
    first = next((line.strip(" *_\t") for line in (new_text or "").splitlines() if line.strip()),
                 "")
    match = _CHOICE.match(first)
    return int(match.group(1)) if match else None
