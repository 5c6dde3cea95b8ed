"""`POST /v1/moderations` (see moderation.py for the shapes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .moderation import ModerationRequest, ModerationResponse
from .security import role

router = APIRouter()


@router.post(
    "/v1/moderations",
    tags=["moderation"],
    summary="Classify text against the policy packs (the common moderation endpoint shape, plus findings)",
    response_model=ModerationResponse,
    **role("viewer"),
)
async def moderations(request: Request, body: ModerationRequest) -> Any:
    # async and inline: detection takes well under a millisecond per post, less than a hop to the
    # thread pool would cost.
    return request.app.state.moderator.moderate(body)
