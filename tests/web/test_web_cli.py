"""`trustwatch users` and `trustwatch tokens`, run for real: passwords from standard input when it is
not a terminal, one-sentence errors with exit code 2, tokens printed once and stored hashed."""

from __future__ import annotations

from helpers import dump_text, run_cli


def test_users_and_tokens_commands(db_url: str) -> None:
    db = db_url
    ok = run_cli("users", "add", "lan", "--role", "reviewer", "--db", db, stdin=b"a long enough password\n")
    assert ok.returncode == 0 and "lan" in ok.stdout
    dup = run_cli("users", "add", "lan", "--role", "viewer", "--db", db, stdin=b"another long password\n")
    assert dup.returncode == 2 and "already exists" in dup.stderr and "Traceback" not in dup.stderr
    short = run_cli("users", "add", "minh", "--db", db, stdin=b"short\n")
    assert short.returncode == 2 and "at least 10" in short.stderr
    empty = run_cli("users", "add", "minh", "--db", db, stdin=b"")
    assert empty.returncode == 2 and "standard input" in empty.stderr
    bad_role = run_cli("users", "add", "minh", "--role", "king", "--db", db, stdin=b"a long enough password\n")
    assert bad_role.returncode == 2 and "viewer, reviewer, admin" in bad_role.stderr
    bad_name = run_cli("users", "add", "<script>", "--db", db, stdin=b"a long enough password\n")
    assert bad_name.returncode == 2 and "not valid" in bad_name.stderr

    token = run_cli("tokens", "create", "--user", "lan", "--label", "bot", "--db", db)
    assert token.returncode == 0 and token.stdout.strip().startswith("tw_") and len(token.stdout.strip()) > 40
    assert "Shown once" in token.stderr
    assert run_cli("tokens", "create", "--user", "nobody", "--db", db).returncode == 2
    listing = run_cli("users", "list", "--db", db)
    assert "lan\treviewer\tactive\t1 tokens" in listing.stdout
    dump = dump_text(db)
    assert token.stdout.strip() not in dump and "a long enough password" not in dump

    assert run_cli("users", "role", "lan", "admin", "--db", db).returncode == 0
    assert "lan\tadmin" in run_cli("users", "list", "--db", db).stdout
    assert "1 token(s) of lan revoked" in run_cli("tokens", "revoke", "--user", "lan", "--db", db).stdout
    assert run_cli("users", "disable", "lan", "--db", db).returncode == 0
    assert "lan\tadmin\tdisabled\t0 tokens" in run_cli("users", "list", "--db", db).stdout
    disabled = run_cli("tokens", "create", "--user", "lan", "--db", db)
    assert disabled.returncode == 2 and "disabled" in disabled.stderr
    assert "--port" in run_cli("serve", "--help").stdout
