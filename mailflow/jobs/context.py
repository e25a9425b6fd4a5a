"""What a job gets to work with: the parts of the app it needs, named as a protocol so jobs never
import the composition root (which imports the worker, routing and flows) and anything with these
parts can run them."""
from __future__ import annotations

from typing import Protocol

from ..clock import Clock
from ..config import Settings
from ..outgoing.certificates import DocumentRenderer
from ..outgoing.compose import Composer
from ..store.session import Store
from ..tokens import TokenSigner


class JobApp(Protocol):
    settings: Settings
    clock: Clock
    store: Store
    signer: TokenSigner
    composer: Composer
    documents: DocumentRenderer
