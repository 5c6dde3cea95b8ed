"""`POST /v1/moderations` (see moderation.py for the shapes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

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
    # Text: async and inline, detection takes well under a millisecond per post, less than a hop to
    # the thread pool would cost. Images: OCR takes a good part of a second, so a worker thread.
    moderator = request.app.state.moderator
    if moderator.needs_thread(body):
        return await run_in_threadpool(moderator.moderate, body)
    return moderator.moderate(body)
