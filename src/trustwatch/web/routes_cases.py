"""Cases, decisions, appeals, notices, platform compliance and the audit log, over the review
workflow's service (`trustwatch.cases.service.CaseService`, issue 7).

Every change goes through the service, which writes the audit entry in the same transaction and
refuses to act without a written reason. The acting person is always the signed-in user (or the
token's user), never a name taken from the request. Decisions carry the case version the reviewer
saw (`expected_version`): if someone else changed the case meanwhile the answer is 409 and nothing
is written.

Registered in `app.AREAS` once the cases area is merged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from ..cases import audit
from ..cases.service import (
    APPEAL_OUTCOMES,
    APPELLANTS,
    RESPONSES,
    REVIEW_OUTCOMES,
    CaseService,
    ConflictError,
)
from ..errors import TrustwatchError
from ..store.writer import posts
from .accounts import Principal
from .errors import ApiError
from .render import page
from .security import caller, role

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**62)]
T = TypeVar("T")
CASE_STATUSES = ("open", "confirmed", "dismissed", "overturned")


def setup(app: FastAPI) -> None:
    app.state.cases = CaseService(app.state.engine, list(app.state.packs.values()))
    app.state.nav += [("/cases", "cases"), ("/appeals", "appeals"), ("/notices", "notices"), ("/audit", "audit")]
    app.state.dashboard_panels.append(lambda request: ("_compliance_panel.html", {"rows": request.app.state.cases.compliance()}))


def _svc(request: Request) -> CaseService:
    return request.app.state.cases


def _run(fn: Callable[[], T]) -> T:
    """Service errors as API errors: 409 for a conflict, 404 for an unknown id, 400 otherwise."""
    try:
        return fn()
    except ConflictError as exc:
        raise ApiError(409, str(exc)) from None
    except TrustwatchError as exc:
        raise ApiError(404 if exc.message.startswith("There is no ") else 400, str(exc)) from None


# -- API -------------------------------------------------------------------------------------------

class OpenCases(BaseModel):
    run_id: int | None = Field(default=None, ge=1, description="Scan run whose flags open cases; default the latest.")


class Assign(BaseModel):
    assignee: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=5000)
    expected_version: int | None = Field(default=None, ge=1)


class Decide(BaseModel):
    outcome: str = Field(description=f"One of {', '.join(REVIEW_OUTCOMES)}.")
    category: str = Field(min_length=1, max_length=64, description="The category the decision is about (a pack id).")
    reason: str = Field(min_length=1, max_length=5000, description="Why: it becomes part of the statement of reasons.")
    expected_version: int | None = Field(default=None, ge=1, description="The case version you read (409 if it changed).")


class FileAppeal(BaseModel):
    appellant: str = Field(description=f"One of {', '.join(APPELLANTS)}.")
    grounds: str = Field(min_length=1, max_length=5000)


class DecideAppeal(BaseModel):
    outcome: str = Field(description=f"One of {', '.join(APPEAL_OUTCOMES)}.")
    reason: str = Field(min_length=1, max_length=5000)


class CreateNotice(BaseModel):
    platform: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=5000)
    deadline_days: float = Field(default=7.0, ge=0, le=365)
    restrict_at: int = Field(default=3, ge=1)
    close_at: int | None = Field(default=None, ge=1)


class Response_(BaseModel):
    response: str = Field(description=f"One of {', '.join(RESPONSES)}.")
    reason: str = Field(min_length=1, max_length=5000)
    note: str | None = Field(default=None, max_length=5000)


Who = Annotated[Principal, Depends(caller)]


@router.get("/v1/cases", tags=["cases"], summary="Cases, highest priority first", **role("viewer"))
def list_cases(request: Request, status: Annotated[str | None, Query(max_length=16)] = None,
               category: Annotated[str | None, Query(max_length=64)] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    items = _run(lambda: _svc(request).list_cases(status, category, limit))
    return {"ok": True, "total": len(items), "items": items}


@router.get("/v1/cases/{case_id}", tags=["cases"], summary="One case with its posts, evidence, decisions and appeals", **role("viewer"))
def get_case(request: Request, case_id: Id) -> dict[str, Any]:
    return {"ok": True, "item": _run(lambda: _svc(request).get_case(case_id))}


@router.post("/v1/cases/open", tags=["cases"], summary="Open cases from a scan run's flags", **role("reviewer"))
def open_cases(request: Request, body: OpenCases, who: Who) -> dict[str, Any]:
    ids = _run(lambda: _svc(request).open_cases(body.run_id, actor=who.name))
    return {"ok": True, "case_ids": ids}


@router.post("/v1/cases/{case_id}/assign", tags=["cases"], summary="Assign an open case to a reviewer", **role("reviewer"))
def assign(request: Request, case_id: Id, body: Assign, who: Who) -> dict[str, Any]:
    return {"ok": True, "item": _run(lambda: _svc(request).assign(case_id, body.assignee, who.name, body.reason, body.expected_version))}


@router.post("/v1/cases/{case_id}/decisions", tags=["cases"], summary="Confirm or dismiss a case, with a reason", **role("reviewer"))
def decide(request: Request, case_id: Id, body: Decide, who: Who) -> dict[str, Any]:
    return {"ok": True, "item": _run(lambda: _svc(request).decide(case_id, body.outcome, who.name, body.reason, body.category,
                                                                   body.expected_version))}


@router.get("/v1/appeals", tags=["appeals"], summary="Appeals, oldest first", **role("viewer"))
def list_appeals(request: Request, status: Annotated[str | None, Query(max_length=16)] = None) -> dict[str, Any]:
    items = _run(lambda: _svc(request).list_appeals(status))
    return {"ok": True, "total": len(items), "items": items}


@router.get("/v1/appeals/{appeal_id}", tags=["appeals"], summary="One appeal", **role("viewer"))
def get_appeal(request: Request, appeal_id: Id) -> dict[str, Any]:
    return {"ok": True, "item": _run(lambda: _svc(request).get_appeal(appeal_id))}


@router.post("/v1/cases/{case_id}/appeals", tags=["appeals"], summary="File an appeal against a confirmed case", **role("reviewer"))
def file_appeal(request: Request, case_id: Id, body: FileAppeal, who: Who) -> dict[str, Any]:
    return {"ok": True, "item": _run(lambda: _svc(request).file_appeal(case_id, body.appellant, who.name, body.grounds))}


@router.post("/v1/appeals/{appeal_id}/decisions", tags=["appeals"], summary="Uphold or overturn (by a reviewer new to the case)", **role("reviewer"))
def decide_appeal(request: Request, appeal_id: Id, body: DecideAppeal, who: Who) -> dict[str, Any]:
    return {"ok": True, "item": _run(lambda: _svc(request).decide_appeal(appeal_id, body.outcome, who.name, body.reason))}


@router.get("/v1/notices", tags=["notices"], summary="Notices sent to platforms, with their requests", **role("viewer"))
def list_notices(request: Request) -> dict[str, Any]:
    items = _run(lambda: _svc(request).list_notices())
    return {"ok": True, "total": len(items), "items": items}


@router.get("/v1/notices/{notice_id}", tags=["notices"], summary="One notice", **role("viewer"))
def get_notice(request: Request, notice_id: Id) -> dict[str, Any]:
    return {"ok": True, "item": _run(lambda: _svc(request).get_notice(notice_id))}


@router.post("/v1/notices", tags=["notices"], summary="Batch a platform's confirmed cases into a notice", **role("reviewer"))
def create_notice(request: Request, body: CreateNotice, who: Who) -> dict[str, Any]:
    return {"ok": True, "item": _run(lambda: _svc(request).create_notice(body.platform, who.name, body.reason, body.deadline_days,
                                                                          body.restrict_at, body.close_at))}


@router.post("/v1/notice-items/{item_id}/response", tags=["notices"], summary="Record a platform's answer to one request", **role("reviewer"))
def record_response(request: Request, item_id: Id, body: Response_, who: Who) -> dict[str, Any]:
    _run(lambda: _svc(request).record_response(item_id, body.response, who.name, body.reason, note=body.note))
    return {"ok": True}


@router.get("/v1/compliance", tags=["notices"], summary="Per platform: requests, complied, rate, time to act", **role("viewer"))
def compliance(request: Request) -> dict[str, Any]:
    items = _run(lambda: _svc(request).compliance())
    return {"ok": True, "total": len(items), "items": items}


def _audit(request: Request, entity: str | None, entity_id: str | None, limit: int) -> tuple[list[dict[str, Any]], Any]:
    with _svc(request).read("read the audit log") as conn:
        return audit.entries(conn, entity, entity_id, limit), audit.verify(conn)


@router.get("/v1/audit", tags=["audit"], summary="The audit log (oldest first) and whether its hash chain verifies", **role("reviewer"))
def audit_log(request: Request, entity: Annotated[str | None, Query(max_length=32)] = None,
              entity_id: Annotated[str | None, Query(max_length=64)] = None,
              limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> dict[str, Any]:
    items, check = _audit(request, entity, entity_id, limit)
    return {"ok": True, "verified": check.ok, "entries": check.entries, "problem": check.problem, "total": len(items), "items": items}


# -- pages -----------------------------------------------------------------------------------------

def _post_pks(request: Request, case: dict[str, Any]) -> dict[tuple[str, str], int]:
    keys = [(p["platform"] or "", p["post_id"]) for p in case["posts"]]
    if not keys:
        return {}
    with request.app.state.engine.connect() as conn:
        rows = conn.execute(select(posts.c.platform, posts.c.post_id, posts.c.id).where(
            posts.c.post_id.in_([k[1] for k in keys]))).all()
    return {(r.platform or "", r.post_id): r.id for r in rows}


@router.get("/cases", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def cases_page(request: Request, status: Annotated[str | None, Query(max_length=16)] = "open",
               category: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    items = _run(lambda: _svc(request).list_cases(status or None, category or None, 500))
    return page(request, "cases.html", items=items, status_filter=status, category=category, statuses=CASE_STATUSES,
                categories=list(request.app.state.packs))


def _case_page(request: Request, case_id: int, status: int = 200, error: str | None = None) -> HTMLResponse:
    case = _run(lambda: _svc(request).get_case(case_id))
    with _svc(request).read("read the audit log") as conn:
        history = audit.entries(conn, "case", case_id, 200)
    return page(request, "case.html", status=status, case=case, error=error, pks=_post_pks(request, case), history=history,
                outcomes=REVIEW_OUTCOMES, appellants=APPELLANTS, appeal_outcomes=APPEAL_OUTCOMES,
                categories=list(request.app.state.packs), packs=request.app.state.packs)


@router.get("/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def case_page(request: Request, case_id: Id) -> HTMLResponse:
    return _case_page(request, case_id)


def _form_action(request: Request, case_id: int, fn: Callable[[], Any]) -> Response:
    """Run a form's change; back to the case page on success, the page with the reason on failure."""
    try:
        _run(fn)
    except ApiError as exc:
        if exc.status == 404:
            raise
        return _case_page(request, case_id, status=exc.status, error=exc.message)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


Text = Annotated[str, Form(max_length=5000)]


@router.post("/cases/{case_id}/decide", include_in_schema=False, **role("reviewer"))
def decide_form(request: Request, case_id: Id, who: Who, outcome: Annotated[str, Form(max_length=16)],
                category: Annotated[str, Form(max_length=64)], reason: Text = "",
                expected_version: Annotated[int | None, Form(ge=1)] = None) -> Response:
    return _form_action(request, case_id, lambda: _svc(request).decide(case_id, outcome, who.name, reason, category, expected_version))


@router.post("/cases/{case_id}/appeal", include_in_schema=False, **role("reviewer"))
def appeal_form(request: Request, case_id: Id, who: Who, appellant: Annotated[str, Form(max_length=16)], grounds: Text = "") -> Response:
    return _form_action(request, case_id, lambda: _svc(request).file_appeal(case_id, appellant, who.name, grounds))


@router.post("/appeals/{appeal_id}/decide", include_in_schema=False, **role("reviewer"))
def appeal_decide_form(request: Request, appeal_id: Id, who: Who, outcome: Annotated[str, Form(max_length=16)],
                       reason: Text = "") -> Response:
    case_id = int(_run(lambda: _svc(request).get_appeal(appeal_id))["case_pk"])
    return _form_action(request, case_id, lambda: _svc(request).decide_appeal(appeal_id, outcome, who.name, reason))


@router.get("/appeals", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def appeals_page(request: Request) -> HTMLResponse:
    return page(request, "appeals.html", items=_run(lambda: _svc(request).list_appeals(None)))


@router.get("/notices", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def notices_page(request: Request) -> HTMLResponse:
    svc = _svc(request)
    return page(request, "notices.html", items=_run(svc.list_notices), compliance=_run(svc.compliance), responses=RESPONSES)


@router.post("/notice-items/{item_id}/response", include_in_schema=False, **role("reviewer"))
def response_form(request: Request, item_id: Id, who: Who, response: Annotated[str, Form(max_length=16)], reason: Text = "",
                  note: Annotated[str | None, Form(max_length=5000)] = None) -> Response:
    _run(lambda: _svc(request).record_response(item_id, response, who.name, reason, note=note or None))
    return RedirectResponse("/notices", status_code=303)


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False, **role("reviewer"))
def audit_page(request: Request, entity: Annotated[str | None, Query(max_length=32)] = None,
               entity_id: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    items, check = _audit(request, entity or None, entity_id or None, 1000)
    return page(request, "audit.html", items=list(reversed(items)), check=check)
