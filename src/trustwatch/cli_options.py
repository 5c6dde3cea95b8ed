"""Options every command shares, defined once. Each can also come from the environment, so a
deployment (several `serve` workers, scheduled scans) configures one place: TRUSTWATCH_DB."""

from __future__ import annotations

from typing import Annotated

import typer

DEFAULT_DB = "./trustwatch.db"
DbOpt = Annotated[str, typer.Option("--db", envvar="TRUSTWATCH_DB", help="Database path or SQLAlchemy URL (or env TRUSTWATCH_DB).")]
