"""Fixtures for the cases tests: a fresh database of each kind per test, and a small post file
built from the bundled labeled examples (so its flags are known), with one repeat violator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import EXAMPLES, load_jsonl, write_jsonl

REPEAT_AUTHOR = {"id": "page:repeat", "name": "Kiếm tiền online", "followers": 250_000, "verified": False}


def pick(label: str, n: int, platform: str = "facebook") -> list[dict]:
    rows = [r for r in load_jsonl(EXAMPLES) if r.get("labels") == [label] and r.get("platform") == platform]
    return [json.loads(json.dumps(r)) for r in rows[:n]]


def sample_posts() -> list[dict]:
    """Three scams by one author (a repeat violator), a paid-superstition post by another, a
    hidden ad (its pack only labels: no case) and an ordinary post."""
    scams = pick("scam", 3)
    for r in scams:
        r["author"] = dict(REPEAT_AUTHOR)
    benign = [r for r in load_jsonl(EXAMPLES) if r.get("labels") == [] and r.get("platform") == "facebook"][:1]
    return scams + pick("superstition_service", 1) + pick("undisclosed_ad", 1) + benign


@pytest.fixture
def posts_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "posts.jsonl", sample_posts())
