"""Shared helpers for the tests (plain functions; fixtures live in the test modules)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "posts.jsonl"
HOLDOUT = REPO / "tests" / "data" / "holdout_posts.jsonl"
TRUSTWATCH = Path(sys.executable).with_name("trustwatch")


def load_jsonl(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def run_cli(
    *args: str, cwd: Path | None = None, stdin: bytes | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """Run the installed `trustwatch` command for real, as a user would."""
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    return subprocess.run(
        [str(TRUSTWATCH), *args],
        cwd=cwd,
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path
