"""Evidence spans of the classifier signal say why a post was flagged: no stop word alone (`và`,
`của`, `the`, `to`), two-syllable words and phrases whole (`lá bùa`, `thanh lý`), and the spans the
user sees point at the characters of the post as written."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from helpers import REPO, load_jsonl, run_cli, write_jsonl
from trustwatch.detect import Detector
from trustwatch.detect.classifier import get_model
from trustwatch.learn.features import V2, FeatureSettings, hashed, term_freqs, weigh, word_buckets
from trustwatch.learn.stopwords import AMBIGUOUS, EN_STOP, VI_STOP, StopJudge, accented
from trustwatch.learn.train import Config, train
from trustwatch.normalize import fold, normalize
from trustwatch.policy import load_packs

# Posts the shipped seed classifiers flag (learned edition): Vietnamese with and without diacritics,
# and English. learn_data/seed_holdout.jsonl was never trained on; tests/data/blind_posts.jsonl is
# the blind set.
POSTS = {
    "seedho:8": "superstition_service",    # Đeo lá bùa này người thương tự tìm đến ...
    "seedho:20": "superstition_service",   # ... mộ phần tổ tiên ... thầy xem giúp qua ảnh ...
    "seedho:35": "scam",                   # Hàng tồn kho thanh lý laptop ... số lượng có hạn ...
    "seedho:43": "gambling",               # Con số may mắn hôm nay cho anh em miền Bắc ...
    "seedho:46": "gambling",               # Đánh con gì hôm nay? ... phí nhóm VIP ...
    "seedho:14": "superstition_service",   # Is someone blocking your blessings? ...
    "seedho:52": "gambling",               # Spin the wheel for a chance at 10,000 USDT ...
    "bl:129": "scam",                      # GIVEAWAY ... pay $9.99 ... link to confirm
    "bl:149": "scam",                      # chuc mung ban nhan giai thuong ... (no diacritics)
    "bl:266": "scam",                      # BHXH THÔNG BÁO: Bạn có khoản trợ cấp ...
}
# Words the old evidence (top word unigrams) showed for these posts and that say nothing.
WEAK = {"và", "của", "bạn", "cho", "có", "để", "hôm", "vào", "này", "mình", "bằng", "anh",
        "the", "to", "at", "your", "a", "and", "you", "for", "of", "in", "is"}


def _posts() -> dict[str, str]:
    rows = load_jsonl(REPO / "learn_data" / "seed_holdout.jsonl") + load_jsonl(REPO / "tests" / "data" / "blind_posts.jsonl")
    return {r["id"]: r["text"] for r in rows if r["id"] in POSTS}


@pytest.fixture(scope="module")
def learned() -> Detector:
    # every stage runs (no cascade): a post the lexicon now catches on its own (seedho:8's `lá bùa`,
    # a term since blind set 9) still shows what the classifier would give as evidence
    return Detector(load_packs(["learned"]), cascade=False)


def _alone_is_stop(excerpt: str, text: str = "") -> bool:
    word = excerpt.lower()
    if word.isascii() and word in AMBIGUOUS and text and not accented(normalize(text)):
        return False  # `ngay` in a text written without diacritics may be `ngày` (`ngay het han`)
    return " " not in word and (word in VI_STOP or word in WEAK or len(fold(word)) <= 1 or fold(word).isdigit())


def test_seed_classifier_evidence_is_content_words_and_phrases(learned: Detector) -> None:
    texts = _posts()
    assert set(texts) == set(POSTS)
    phrases = 0
    for pid, category in POSTS.items():
        text = texts[pid]
        res = learned.detect_text(text)
        found = [f for f in res["findings"] if f["signal"] == "classifier" and f["category"] == category]
        assert res["categories"][category] and found, pid
        assert len(found) <= 3, (pid, found)
        folded = normalize(text).folded_text
        for f in found:
            # what the reviewer sees is the post's own characters, whole words of it
            assert text[f["start"]:f["end"]] == f["excerpt"], (pid, f)
            assert f" {fold(f['excerpt'])} " in folded, (pid, f["excerpt"])
            assert not _alone_is_stop(f["excerpt"], text), (pid, f["excerpt"])
        excerpts = [f["excerpt"] for f in found]
        # a word once: not twice, and not alone beside a phrase that holds it (`nhận`, `nhận tiền`)
        words = [f" {fold(e)} " for e in excerpts]
        assert not any(a in b for i, a in enumerate(words) for j, b in enumerate(words) if i != j), (pid, excerpts)
        phrases += any(" " in e for e in excerpts)
        # every post here but three shows a phrase of two words or more (the bl: posts are trained on
        # since the read blind sets joined the seed data on 2026-11-27: bl:129 shows `GIVEAWAY`,
        # `Like`, `pay`, bl:266 `THÔNG`, `nhận`, `xác`)
        if pid not in ("seedho:14", "bl:129", "bl:266"):
            assert any(" " in e for e in excerpts), (pid, excerpts)
    assert phrases >= len(POSTS) - 3


def test_old_evidence_of_these_posts_was_weak_words() -> None:
    """Most posts above are ones the old top-unigram evidence failed: it showed a stop word or one
    word twice (checked with the shipped models, so this test fails if they stop being examples);
    the others (`Đeo, bùa, quốc`, `hang, long, cap`, `phần, thầy, xem`) showed single syllables."""
    texts = _posts()
    weak = 0
    for pid, category in POSTS.items():
        clf = get_model(category)
        norm = normalize(texts[pid])
        idx, words = hashed(norm, clf.settings, with_words=True)
        u, tf = term_freqs(idx)
        v = weigh(u, tf, clf.idf, clf.settings)
        starts, ends = words
        contrib = clf._contributions(norm, u, v, starts, ends, clf.labels.index("1"))
        tagged = word_buckets(norm, clf.settings, starts, ends)
        w = clf.weights[tagged & (clf.settings.n_features - 1) if clf.settings.views else tagged]
        old = (v[np.searchsorted(u, tagged)] * (w[:, 1] - w[:, 0]))  # the old score, repeats included
        top = np.argsort(-old)[:3]
        shown = [texts[pid][slice(*norm.folded.span(int(starts[k]), int(ends[k])))] for k in top]
        weak += any(_alone_is_stop(s) for s in shown) or len({s.lower() for s in shown}) < 3
        # the new per-word score is the old one, each distinct word counted at its first place only
        assert np.allclose(contrib[contrib != 0], old[contrib != 0], atol=1e-6)
        folded = [norm.folded_text[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
        assert len({w for w, c in zip(folded, contrib, strict=True) if c != 0}) == int((contrib != 0).sum())
    assert weak >= 7


def test_scan_output_spans_point_at_the_post_as_written(tmp_path) -> None:
    texts = _posts()
    ids = ["seedho:8", "bl:149", "seedho:52"]
    posts = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "platform": "facebook", "text": texts[i]} for i in ids])
    out = tmp_path / "r.jsonl"
    proc = run_cli("scan", str(posts), "--out", str(out), "--no-store", "--policy", "learned")
    assert proc.returncode == 0, proc.stderr
    results = {r["post_id"]: r for r in load_jsonl(out)}
    for pid in ids:
        found = [f for f in results[pid]["findings"] if f["signal"] == "classifier"]
        # the lá bùa post is flagged by the lexicon alone since blind set 9 (2026-11-27): the scan's
        # cascade then never asks the classifier, and its findings are the lexicon's
        assert found or pid == "seedho:8", pid
        for f in found or results[pid]["findings"]:
            assert texts[pid][f["start"]:f["end"]] == f["excerpt"] and not _alone_is_stop(f["excerpt"], texts[pid])
    # the lá bùa post: the amulet is named whole, and the unaccented post keeps its phrases
    assert any("lá bùa" in f["excerpt"] for f in results["seedho:8"]["findings"])
    assert any(" " in f["excerpt"] for f in results["bl:149"]["findings"] if f["signal"] == "classifier")


# ---- stop words judged as written -----------------------------------------------------------


def _judge(text: str) -> tuple[StopJudge, list[tuple[str, bool]]]:
    norm = normalize(text)
    j = StopJudge(norm)
    words = []
    pos = 1
    for w in norm.folded_text.split():
        words.append((norm.original[slice(*norm.folded.span(pos, pos + len(w)))], j.is_stop(pos, pos + len(w))))
        pos += len(w) + 1
    return j, words


def test_folded_collisions_are_decided_on_the_word_as_written() -> None:
    # để (in order to) is a stop word; đề (lô đề, a lottery bet) is not, though both fold to `de`
    _, words = _judge("Nhận lô đề để kiếm tiền, cho mình xin số, đồ chó")
    got = dict(words)
    assert got["để"] and not got["đề"] and got["cho"] and not got["chó"] and got["mình"] and not got["lô"]
    # in a text written with diacritics, `ngay` written plainly is ngay (at once), not ngày (day)
    assert dict(_judge("Vay tiền ngay hôm nay, ngày mai trả")[1]) == {
        "Vay": False, "tiền": False, "ngay": True, "hôm": True, "nay": True, "ngày": False, "mai": False, "trả": False}
    # without diacritics, a form that a topical word also folds to is kept: de may be đề, cho may be chó
    assert {"de", "cho", "la", "boi", "cung", "vay"} <= AMBIGUOUS
    got = dict(_judge("danh de online cho nhanh va de trung, khong can coc")[1])
    assert not got["de"] and not got["cho"] and got["va"] and got["khong"] and not got["danh"]
    # English function words count in English text; in Vietnamese text `to` or `me` may be to, mẹ
    got = dict(_judge("Send the fee to this account and you will win")[1])
    assert got["the"] and got["to"] and got["and"] and not got["fee"] and not got["win"]
    assert not dict(_judge("cai banh to qua, me oi")[1])["to"]
    assert all(w == fold(w) for w in EN_STOP)


# ---- a model trained here, where a stop word weighs a lot -----------------------------------

LOAN = ["vay tiền", "lãi suất", "giải ngân", "duyệt hồ sơ", "không thế chấp", "trả góp", "hạn mức", "tín chấp",
        "nợ xấu", "vay online", "app vay", "phí bảo hiểm"]
FOOD = ["nấu ăn", "canh chua", "rau muống", "nước mắm", "cá kho", "thịt luộc", "bánh xèo", "xào tỏi",
        "gà rán", "mì xào", "chè đậu", "bún riêu"]
SHARED = ["hôm nay", "mọi người", "ở đây", "nhanh lắm", "ngon", "dễ"]


def _rows(seed: int, n: int) -> tuple[list[str], list[str]]:
    """Loan offers always say `và` twice; cooking posts never do. Topic words vary from post to
    post, so the one word that all positives share, `và`, gets a large weight."""
    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(n):
        a, b, c = rng.sample(LOAN, 3)
        texts.append(f"{rng.choice(SHARED)} {a} và {b} và {c}")
        labels.append("loan")
        a, b, c = rng.sample(FOOD, 3)
        texts.append(f"{rng.choice(SHARED)} {a}, {b}, {c}")
        labels.append("food")
    return texts, labels


@pytest.fixture(scope="module", params=[FeatureSettings(n_features=1 << 16), replace(V2, n_features=1 << 16)],
                ids=["v1", "v2"])
def tiny(request):
    texts, labels = _rows(1, 24)
    return train(texts, labels, settings=request.param, grid=(Config("logreg", 10.0),), folds=3)


def _shown(clf, text: str) -> list[str]:
    norm = normalize(text)
    return [text[slice(*norm.folded.span(a, b))] for a, b, _ in clf.evidence(norm, clf.labels.index("loan"))]


def test_a_heavy_stop_word_is_never_chosen(tiny) -> None:
    text = "hôm nay vay tiền và lãi suất và giải ngân"
    norm = normalize(text)
    label = tiny.labels.index("loan")
    assert tiny.predict([text]) == ["loan"]
    # by its weight alone, `và` is among the strongest words of the post ...
    idx, words = hashed(norm, tiny.settings, with_words=True)
    u, tf = term_freqs(idx)
    contrib = tiny._contributions(norm, u, weigh(u, tf, tiny.idf, tiny.settings), *words, label)
    strongest = [norm.folded_text[words[0][k]:words[1][k]] for k in np.argsort(-contrib)[:3]]
    assert "va" in strongest, strongest
    # ... yet never evidence; the topic's two-syllable words are, whole
    shown = _shown(tiny, text)
    assert shown and "và" not in shown and all(not s.startswith("và ") and not s.endswith(" và") for s in shown)
    assert {"vay tiền", "lãi suất", "giải ngân"} & set(shown), shown
    assert len(shown) <= 3


def test_bigram_buckets_are_the_models_features(tiny) -> None:
    norm = normalize("vay tiền nhanh và lãi suất thấp")
    idx, (starts, ends) = hashed(norm, tiny.settings, with_words=True)
    both = word_buckets(norm, tiny.settings, starts, ends, pairs=True)
    assert len(both) == 2 * len(starts) - 1 and set(both.tolist()) <= set(idx.tolist())
    assert np.array_equal(both[: len(starts)], word_buckets(norm, tiny.settings, starts, ends))


def test_spans_merge_and_stay_apart_across_punctuation(tiny) -> None:
    # adjacent chosen words become one span; words apart as written (a full stop) do not
    shown = _shown(tiny, "giải ngân. vay tiền và trả góp")
    assert shown and all(". " not in s for s in shown), shown
    assert all(len(s.split()) <= 4 for s in shown)


def test_only_stop_words_weigh_then_the_old_evidence_is_given(tiny) -> None:
    # nothing but stop words push this text towards `loan`: evidence is still not empty
    shown = _shown(tiny, "và và của")
    assert shown and set(shown) <= {"và", "của"}


def test_span_model_leaves_stop_words_out() -> None:
    # the toxic model's span tokens include `no` (nó, 0.74): a pronoun, no evidence alone
    clf = get_model("toxic")
    assert (clf.span_tokens or {}).get("no", 0) >= 0.5
    text = "Nó ngu vãi, đồ óc chó"
    norm = normalize(text)
    shown = [text[slice(*norm.folded.span(a, b))] for a, b, _ in clf.evidence(norm, clf.labels.index("1"))]
    assert shown and "Nó" not in shown and "ngu" in shown


# ---- any text: spans in range, never empty where the old evidence had one ---------------------

ODD = ["x.e.m b.ó.i", "b0i", "z@lo", "giảiii", "𝐱𝐞𝐦 𝐛𝐨́𝐢", "v\u200bay", "сó", "ko", "stk", "🔥🔥", "ib", "⑩", "Ø",
       "vay tiền", "lãi suất", "và", "của", "the", "to", "lô đề", "để", "cho", "chó", ".", "—", "\n\n", "2tr5", "0912 345 678"]


def test_evidence_on_odd_texts_stays_in_range_and_is_never_empty_where_words_weigh() -> None:
    rng = random.Random(7)
    models = [get_model(m) for m in ("scam", "gambling", "superstition_service", "undisclosed_ad", "toxic")]
    vocab = ODD + [w for p in LOAN + FOOD for w in p.split()]
    for i in range(150):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 25)))
        if i % 10 == 0:
            text = text.replace(" ", rng.choice(["", ",", ". ", "\u200b"]))
        norm = normalize(text)
        for clf in models:
            label = clf.labels.index("1")
            idx, words = hashed(norm, clf.settings, with_words=True)
            u, tf = term_freqs(idx)
            ev = clf.evidence(norm, label, hashed_words=(u, tf, words))
            assert len(ev) <= (12 if clf.span_tokens else 3)
            for a, b, _ in ev:
                assert 0 < a < b < len(norm.folded_text) and norm.folded_text[a - 1] == " " == norm.folded_text[b]
                s, e = norm.folded.span(a, b)
                assert 0 <= s < e <= len(text)
            if words is not None and len(u):
                uni = clf._contributions(norm, u, weigh(u, tf, clf.idf, clf.settings), *words, label)
                if (uni > 0).any():
                    assert ev, text
