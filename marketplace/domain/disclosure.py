"""The disclosure duty: sponsored content must say so (#ad, #sponsored, #partner or the platform's label)."""

from __future__ import annotations

import re

DISCLOSURE_TAGS = ("#ad", "#sponsored", "#partner", "#anzeige", "#publicite", "#publicidad", "#pub")
_TAG = re.compile(
    r"(?<![\w#])(" + "|".join(re.escape(t) for t in DISCLOSURE_TAGS) + r")(?![\w])", re.IGNORECASE
)


def is_disclosed(caption: str, paid_partnership_flag: bool = False) -> bool:
    """True when the caption carries a disclosure hashtag or the platform's paid-partnership flag is on."""
    return paid_partnership_flag or bool(_TAG.search(caption or ""))
