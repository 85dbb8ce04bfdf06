"""Services of the review chain, one module per part; the workflow entry point is re-exported here."""

from .transitions import (
    TransitionConflict,
    available_actions,
    first_authority,
    guard_problems,
    lower_authority,
    may_act,
    transition_perform,
)

__all__ = [
    "TransitionConflict",
    "available_actions",
    "first_authority",
    "guard_problems",
    "lower_authority",
    "may_act",
    "transition_perform",
]
