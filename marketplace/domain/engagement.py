"""Engagement rate: (average likes + average comments) / followers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AccountNumbers:
    """The figures of one social account that engagement is computed from."""

    followers: int
    avg_likes: float
    avg_comments: float


def engagement_rate(followers: int, avg_likes: float, avg_comments: float) -> float:
    """Engagement rate of one account, 0 when it has no followers."""
    if followers <= 0:
        return 0.0
    return (max(avg_likes, 0) + max(avg_comments, 0)) / followers


def overall_engagement(accounts: Iterable[AccountNumbers]) -> float:
    """Follower-weighted engagement over all accounts: total interactions / total followers."""
    followers = interactions = 0.0
    for account in accounts:
        if account.followers > 0:
            followers += account.followers
            interactions += max(account.avg_likes, 0) + max(account.avg_comments, 0)
    return interactions / followers if followers else 0.0
