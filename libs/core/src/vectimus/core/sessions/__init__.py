"""Per-session counters (subagent spawns, agent messages, tool calls) that policies read.

The counts are kept where the deciding processes can share them: in Redis for the server
(:mod:`vectimus.core.sessions.redis`), in memory for the daemon and the embedded server
(:mod:`~vectimus.core.sessions.memory`), and in a small file per session for the inline hook
(:mod:`~vectimus.core.sessions.files`). Neither backend is imported here.
"""

from vectimus.core.sessions.counts import (
    COUNTED_ACTIONS,
    LocalSessionCounter,
    SessionCall,
    SessionCounter,
    SessionCounts,
    call_of,
    session_facts,
)

__all__ = [
    "COUNTED_ACTIONS",
    "LocalSessionCounter",
    "SessionCall",
    "SessionCounter",
    "SessionCounts",
    "call_of",
    "session_facts",
]
