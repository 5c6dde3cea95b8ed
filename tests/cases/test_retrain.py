"""Learning from reviewers: `trustwatch train --from-decisions PACK` retrains the pack's classifier
on reviewed cases and compares the shipped and the new model on held-out decisions."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_cli, write_jsonl
from trustwatch.cases import CaseService
from trustwatch.learn.model import load

from .conftest import pick


def test_retrain_from_decisions_on_held_out_cases(db_url: str, tmp_path: Path) -> None:
    posts = pick("scam", 14)
    assert len(posts) == 14
    src = write_jsonl(tmp_path / "posts.jsonl", posts)
    assert run_cli("scan", str(src), "--db", db_url, "--out", str(tmp_path / "r.jsonl")).returncode == 0
    with CaseService.open(db_url) as svc:
        ids = svc.open_cases()
        assert len(ids) >= 10
        for n, cid in enumerate(sorted(ids)):
            outcome = "dismiss" if n % 3 == 0 else "confirm"  # both outcomes on each side of the split
            for reviewer in ("lan", "minh"):
                svc.decide(cid, outcome, reviewer, f"{outcome} after reading the post in full", category="scam")
    # Too few decisions for another pack: a clear error, no model.
    few = run_cli("train", "--from-decisions", "gambling", "--db", db_url, "--out", str(tmp_path / "g"))
    assert few.returncode == 2 and "at least 5 are needed" in few.stderr and not (tmp_path / "g").exists()

    out = tmp_path / "scam-2"
    res = run_cli("train", "--from-decisions", "scam", "--db", db_url, "--out", str(out),
                  "--without-seed", "--folds", "2", "--quiet")
    assert res.returncode == 0, res.stderr
    assert "before: macro-F1" in res.stdout and "after: macro-F1" in res.stdout
    held = len([c for c in ids if c % 5 == 0])
    assert f"{held} decisions held out" in res.stdout
    model = load(out)  # a real artifact, loaded without pickle
    info = json.loads((out / "manifest.json").read_text())["training_data"]
    assert info["decisions_of"] == "scam" and info["held_out"] == held and info["db_decisions"] == len(ids) - held
    assert set(model.labels) == {"0", "1"}
