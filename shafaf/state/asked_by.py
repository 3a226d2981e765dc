"""Who asked for a queued run, as its message says it, so the finished run still says it.

An agency's "harvest now" queues a run whose message is ``request: asked for
by <who>; waiting for the scheduler`` (``agency_requests``). When the
scheduler starts it (``StateStore.claim``) the ``asked for by <who>`` part is
kept on the run and heads its final message (``StateStore.finish``), so the
published run history says who asked. Which token asked stays private, in
``harvest_requests``.
"""

from __future__ import annotations

from shafaf.core.models import Trigger

QUEUED_PREFIX = f"{Trigger.REQUEST}: "
QUEUED_SUFFIX = "; waiting for the scheduler"
# A request that accepts a held shrink says so in the same words, so the run knows it and the history shows it.
ACCEPTING = ", accepting a file with far fewer rows than the last good one"


def queued_message(by: str, *, accept_shrink: bool = False) -> str:
    """The message of a queued run asked for by ``by`` ("the agency through its console")."""
    return f"{QUEUED_PREFIX}asked for by {by}{ACCEPTING if accept_shrink else ''}{QUEUED_SUFFIX}"


def accepts_shrink(requested: str) -> bool:
    """Whether the request (``requested_by``'s text) accepts a held shrink."""
    return requested.endswith(ACCEPTING)


def requested_by(message: str) -> str:
    """``asked for by ...`` of a queued run's message, or "" when it says nothing of it."""
    if not message.startswith(QUEUED_PREFIX):
        return ""
    return message[len(QUEUED_PREFIX) :].removesuffix(QUEUED_SUFFIX).strip()
