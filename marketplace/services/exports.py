"""What we hold about a user, gathered for their own download."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import JobRecord, User
from marketplace.tenancy import get_or_404

# Each section reads one kind of record about the user; later features add theirs here.
SECTIONS: list[tuple[str, Callable[[User], Any]]] = [
    (
        "account",
        lambda user: {
            "id": str(user.id),
            "email": user.email,
            "role": user.role,
            "display_name": user.display_name,
            "created_at": user.created_at.isoformat(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
            "suspended": user.is_suspended,
        },
    ),
    (
        "jobs",
        lambda user: [
            {"id": str(j.id), "name": j.name, "status": j.status, "created_at": j.created_at.isoformat()}
            for j in db.session.execute(select(JobRecord).where(JobRecord.user_id == user.id)).scalars()
        ],
    ),
]


def collect_user_data(user_id: uuid.UUID, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """Build the export section by section, reporting progress after each."""
    user = get_or_404(User, user_id)
    export: dict[str, Any] = {}
    for done, (name, read) in enumerate(SECTIONS, start=1):
        export[name] = read(user)
        progress(done, len(SECTIONS))
    return export
