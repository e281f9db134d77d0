"""State machines as data: allowed transitions per entity, applied by one function."""

from __future__ import annotations

from collections.abc import Mapping


class TransitionRefused(Exception):
    """The entity cannot go from its current state to the asked one."""

    def __init__(self, entity: str, current: str, target: str, allowed: frozenset[str]):
        self.entity, self.current, self.target, self.allowed = entity, current, target, allowed
        options = ", ".join(sorted(allowed)) or "none (final state)"
        super().__init__(f"A {entity} that is {current} cannot become {target}; allowed: {options}.")


def _table(spec: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    return {state: frozenset(targets) for state, targets in spec.items()}


CAMPAIGN = _table(
    {
        "draft": {"published", "cancelled"},
        "published": {"closed", "cancelled"},
        "closed": set(),
        "cancelled": set(),
    }
)
OFFER = _table(
    {
        "pending": {"accepted", "declined", "withdrawn", "expired", "countered"},
        "accepted": set(),
        "declined": set(),
        "withdrawn": set(),
        "expired": set(),
        "countered": set(),
    }
)
CONTRACT = _table(
    {
        "generating": {"awaiting_signatures", "cancelled"},
        "awaiting_signatures": {"signed", "cancelled"},
        "signed": {"funded", "delivered", "cancelled", "disputed"},  # without cash, signed -> delivered
        "funded": {"delivered", "disputed", "cancelled"},
        "delivered": {"completed", "disputed"},
        "disputed": {"completed", "cancelled", "funded", "signed", "delivered"},
        "completed": set(),
        "cancelled": set(),
    }
)
DELIVERABLE = _table(
    {
        "submitted": {"approved", "changes_requested"},
        "changes_requested": {"submitted"},
        "approved": set(),
    }
)
DISPUTE = _table(
    {
        "open": {"under_review", "withdrawn", "resolved"},
        "under_review": {"resolved", "withdrawn"},
        "resolved": set(),
        "withdrawn": set(),
    }
)

MACHINES: dict[str, dict[str, frozenset[str]]] = {
    "campaign": CAMPAIGN,
    "offer": OFFER,
    "contract": CONTRACT,
    "deliverable": DELIVERABLE,
    "dispute": DISPUTE,
}


def can_transition(entity: str, current: str, target: str) -> bool:
    """True when the table of `entity` allows current -> target."""
    return target in MACHINES[entity].get(current, frozenset())


def check_transition(entity: str, current: str, target: str) -> str:
    """Return `target` when allowed, else raise TransitionRefused."""
    if not can_transition(entity, current, target):
        raise TransitionRefused(entity, current, target, MACHINES[entity].get(current, frozenset()))
    return target
