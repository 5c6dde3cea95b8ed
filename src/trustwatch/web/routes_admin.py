"""Administration of users: list them, change a role, revoke a user's API tokens.

Creating users and tokens stays on the command line (`trustwatch users add`, `trustwatch tokens
create`), where a password never crosses the network and a token is shown once to the person
who asked for it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .accounts import ROLES, Principal
from .errors import ApiError
from .render import page
from .security import caller, role

router = APIRouter()
Name = Annotated[str, Path(max_length=64)]


@router.get("/v1/users", tags=["admin"], summary="Users, their roles and how many live tokens they have", **role("admin"))
def list_users(request: Request) -> dict[str, Any]:
    items = request.app.state.accounts.list_users()
    return {"ok": True, "total": len(items), "items": items}


@router.get("/admin/users", response_class=HTMLResponse, include_in_schema=False, **role("admin"))
def users_page(request: Request) -> HTMLResponse:
    return page(request, "users.html", users=request.app.state.accounts.list_users(), roles=ROLES)


def _known(request: Request, name: str) -> None:
    if name not in {u["name"] for u in request.app.state.accounts.list_users()}:
        raise ApiError(404, f"There is no user named {name!r}.")


@router.post("/admin/users/{name}/role", include_in_schema=False, **role("admin"))
def change_role(request: Request, name: Name, principal: Annotated[Principal, Depends(caller)],
                new_role: Annotated[str, Form(alias="role", max_length=16)]) -> Response:
    _known(request, name)
    if new_role not in ROLES:
        raise ApiError(422, f"The role {new_role!r} does not exist; use one of {', '.join(ROLES)}.")
    if name == principal.name and new_role != "admin":
        raise ApiError(400, "You cannot take the admin role from yourself; ask another admin.")
    request.app.state.accounts.set_role(name, new_role)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{name}/revoke-tokens", include_in_schema=False, **role("admin"))
def revoke_tokens(request: Request, name: Name) -> Response:
    _known(request, name)
    request.app.state.accounts.revoke_tokens(name)
    return RedirectResponse("/admin/users", status_code=303)
