"""Shadow packs never open cases, and their report on stored posts; labeled-data export; the
`cases` commands' refusals."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_cli, write_jsonl
from trustwatch.cases import CaseService
from trustwatch.cases.shadow import shadow_report
from trustwatch.policy import default_pack_paths

from .conftest import sample_posts

SHADOW = """
id: scam_shadow
version: 2
title: Scams (candidate rule)
criterion: Offers of the zzqx lottery, a made-up scheme used to test shadow mode.
severity: high
action: notice
mode: shadow
dsa: {category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD, keywords: [KEYWORD_OTHER]}
signals:
  - {type: lexicon, group: topic, weight: 0.9, terms: [zzqx lottery]}
require: topic
threshold: 0.5
"""


def test_shadow_pack_opens_no_case_and_reports_the_difference(db_url: str, tmp_path: Path) -> None:
    pack = tmp_path / "shadow" / "scam_shadow.yaml"
    pack.parent.mkdir()
    pack.write_text(SHADOW, encoding="utf-8")
    posts = sample_posts() + [{"id": "fb:zz1", "platform": "facebook", "text": "Win big in the ZZQX lottery tonight!"}]
    inp = write_jsonl(tmp_path / "posts.jsonl", posts)
    packs_dir = str(default_pack_paths()[0].parent)
    policy = ("--policy", packs_dir, "--policy", str(pack))
    res = run_cli("scan", str(inp), "--out", str(tmp_path / "r.jsonl"), "--db", db_url, *policy)
    assert res.returncode == 0, res.stderr
    zz = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()][-1]
    assert zz["flagged"] is False and zz["shadow_scores"]["scam_shadow"] >= 0.5
    res = run_cli("cases", "open", "--db", db_url, *policy)
    assert res.returncode == 0, res.stderr
    with CaseService.open(db_url) as svc:
        cats = {c["category"] for c in svc.list_cases()}
    assert "scam_shadow" not in cats and cats == {"scam", "superstition_service"}

    report = shadow_report(db_url, [str(pack)])
    r = report["packs"]["scam_shadow"]
    assert report["posts"] == len(posts)
    assert r["compared_to"] == "scam"
    assert (r["only_shadow"], r["only_live"], r["both"]) == (1, 3, 0)
    assert r["only_shadow_ids"] == ["facebook/fb:zz1"] and len(r["only_live_ids"]) == 3
    cli = run_cli("shadow", "report", "--shadow", str(pack), "--db", db_url, "--out", str(tmp_path / "rep.json"))
    assert cli.returncode == 0 and "only shadow 1, only live 3" in cli.stdout
    assert json.loads((tmp_path / "rep.json").read_text())["packs"]["scam_shadow"]["only_shadow"] == 1


def test_export_labels_command(db_url: str, posts_file: Path, tmp_path: Path) -> None:
    db = ("--db", db_url)
    assert run_cli("scan", str(posts_file), "--out", str(tmp_path / "r.jsonl"), *db).returncode == 0
    assert run_cli("cases", "open", *db).returncode == 0
    cases = json.loads(run_cli("cases", "list", "--json", *db).stdout)
    superstition = next(c["id"] for c in cases if c["category"] == "superstition_service")
    for reviewer in ("lan", "minh"):
        res = run_cli("cases", "decide", str(superstition), "--dismiss", "--reviewer", reviewer,
                      "--reason", "A free horoscope column, nothing sold.", *db)
        assert res.returncode == 0, res.stderr
    both = run_cli("cases", "decide", str(cases[0]["id"]), "--confirm", "--dismiss", "--reviewer", "x", "--reason", "y", *db)
    assert both.returncode == 2 and "exactly one" in both.stderr
    res = run_cli("cases", "export-labels", "--out", str(tmp_path / "labels.jsonl"), *db)
    assert res.returncode == 0 and "1 labeled post" in res.stdout
    [row] = [json.loads(x) for x in (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["label"] == "none" and row["labels"] == [] and row["category"] == "superstition_service"
    assert row["text"] == next(p["text"] for p in sample_posts() if p["id"] == row["post_id"])


def test_bad_input_is_one_sentence_not_a_traceback(tmp_path: Path, db_url: str) -> None:
    db = ("--db", db_url)
    for args, expected in [
        (("cases", "list", "--status", "pending"), "Unknown case status 'pending'"),
        (("cases", "show", "42"), "There is no case 42"),
        (("cases", "open"), "There is no scan run"),
        (("notices", "import", str(tmp_path / "missing.csv")), "does not exist"),
        (("notices", "create", "--platform", "facebook", "--out", str(tmp_path / "n.json")), "No confirmed case"),
        (("appeals", "decide", "3", "--uphold", "--reviewer", "x", "--reason", "y"), "There is no appeal 3"),
        (("export", "statements", "--out", str(tmp_path / "s.json"), "--lang", "fr"), "Unknown letter language"),
    ]:
        res = run_cli(*args, *db)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert expected in res.stderr and "Traceback" not in res.stderr, res.stderr
