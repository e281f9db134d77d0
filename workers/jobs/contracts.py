"""Contract document generation."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.services.contracts import generate_document
from workers.runtime import tracked_job


@tracked_job
def generate_contract_document(*, job_id: str, contract_id: str) -> dict[str, Any]:
    """Render, store and hash a contract's PDF; a second run finds it done and changes nothing."""
    return generate_document(uuid.UUID(contract_id))
