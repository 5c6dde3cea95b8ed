"""`trustwatch serve`, `trustwatch users …` and `trustwatch tokens …`: the web app's commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .cli_options import DEFAULT_DB, DbOpt
from .errors import TrustwatchError

users_app = typer.Typer(help="Manage the people who may use the web UI and API.", no_args_is_help=True)
tokens_app = typer.Typer(help="Manage API tokens (Authorization: Bearer TOKEN).", no_args_is_help=True)


def _accounts(db: str):
    from .store.engine import check_connection, make_engine, migrate, resolve_url
    from .web.accounts import Accounts

    engine = make_engine(resolve_url(db))
    check_connection(engine)
    migrate(engine)
    return Accounts(engine)


def _read_password() -> str:
    """Prompted twice on a terminal; otherwise the first line of standard input."""
    if sys.stdin.isatty():
        first = typer.prompt("Password", hide_input=True)
        second = typer.prompt("Repeat the password", hide_input=True)
        if first != second:
            raise TrustwatchError("The two passwords differ.", "Run the command again and type the same password twice.")
        return first
    line = sys.stdin.readline()
    if not line:
        raise TrustwatchError("No password was given on standard input.", "Pipe it in, e.g. `printf '%s\\n' \"$PW\" | trustwatch users add NAME --role viewer`.")
    return line.rstrip("\r\n")


def serve(
    db: DbOpt = DEFAULT_DB,
    host: Annotated[str, typer.Option(envvar="TRUSTWATCH_HOST", help="Address to listen on (keep 127.0.0.1 unless a TLS proxy sits in front).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, envvar="TRUSTWATCH_PORT", help="Port to listen on.")] = 8000,
    policy: Annotated[list[str] | None, typer.Option("--policy", "-p", help="Policy pack file or folder (repeatable).")] = None,
    https: Annotated[bool, typer.Option("--https", envvar="TRUSTWATCH_HTTPS", help="Served behind TLS: Secure cookies and HSTS.")] = False,
    campaigns: Annotated[list[str] | None, typer.Option("--campaigns", help="Folder of campaign YAML files (repeatable).")] = None,
    trusted_proxies: Annotated[str | None, typer.Option("--trusted-proxies", envvar="TRUSTWATCH_TRUSTED_PROXIES", help="Comma-separated addresses of load balancers whose X-Forwarded-For/-Proto headers are believed (client addresses for login limits).")] = None,
) -> None:
    """Run the web UI and HTTP API (OpenAPI reference at /docs, the document at /openapi.json).

    Example: trustwatch serve --db trustwatch.db --port 8000
    """
    import uvicorn

    from .web import WebSettings, create_app

    app = create_app(WebSettings(db=db, policy=policy, https=https, campaigns=campaigns))
    typer.echo(f"trustwatch web on http://{host}:{port}/ (database {app.state.store.url}); stop with Ctrl-C", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=https or bool(trusted_proxies),
                forwarded_allow_ips=trusted_proxies or "127.0.0.1", server_header=False)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", help="viewer, reviewer or admin.")] = "viewer",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Add a user; the password is asked twice (or read from standard input when it is not a terminal).

    Example: trustwatch users add lan --role reviewer
    """
    from .web.accounts import check_name, check_role

    check_name(name)
    check_role(role)
    accounts = _accounts(db)
    accounts.add_user(name, role, _read_password())
    typer.echo(f"user {name} added with role {role}")


@users_app.command("list")
def users_list(db: DbOpt = DEFAULT_DB) -> None:
    """List users, roles and live token counts.

    Example: trustwatch users list
    """
    for u in _accounts(db).list_users():
        typer.echo(f"{u['name']}\t{u['role']}\t{'active' if u['active'] else 'disabled'}\t{u['tokens']} tokens")


@users_app.command("role")
def users_role(name: str, role: Annotated[str, typer.Argument(help="viewer, reviewer or admin.")], db: DbOpt = DEFAULT_DB) -> None:
    """Change a user's role.

    Example: trustwatch users role lan admin
    """
    _accounts(db).set_role(name, role)
    typer.echo(f"user {name} now has role {role}")


@users_app.command("disable")
def users_disable(name: str, db: DbOpt = DEFAULT_DB) -> None:
    """Disable a user: their sessions end and their tokens stop working.

    Example: trustwatch users disable lan
    """
    _accounts(db).set_active(name, False)
    typer.echo(f"user {name} disabled")


@users_app.command("enable")
def users_enable(name: str, db: DbOpt = DEFAULT_DB) -> None:
    """Enable a disabled user again.

    Example: trustwatch users enable lan
    """
    _accounts(db).set_active(name, True)
    typer.echo(f"user {name} enabled")


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Option("--user", help="The user the token acts as.")],
    label: Annotated[str | None, typer.Option(help="A note saying what the token is for.")] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Create an API token and print it once (only its hash is stored).

    Example: trustwatch tokens create --user lan --label ingest-bot
    """
    token = _accounts(db).create_token(user, label)
    typer.echo(token)
    typer.echo("Shown once; send it as `Authorization: Bearer TOKEN`.", err=True)


@tokens_app.command("revoke")
def tokens_revoke(user: Annotated[str, typer.Option("--user", help="Revoke every token of this user.")], db: DbOpt = DEFAULT_DB) -> None:
    """Revoke every API token of a user.

    Example: trustwatch tokens revoke --user lan
    """
    n = _accounts(db).revoke_tokens(user)
    typer.echo(f"{n} token(s) of {user} revoked")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
