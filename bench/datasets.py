"""Published setups on the shared labeled datasets, trained with trustwatch's own `train` defaults.

    .venv/bin/python bench/datasets.py [--data ../shared/datasets] [--only vihsd,smishing] [--folds 5]

  vihsd            ViHSD 3-class (clean/offensive/hate): train on train, macro-F1 on dev
  vispam-binary    ViSpamReviews spam or not: train on train, macro-F1 on dev
  vispam-type      ViSpamReviews spam type (0-3): train on train, macro-F1 on dev
  smishing         vi-sms-smishing: positive-class F1, 5-fold cross-validation on train
  smishing-meta    the same with `--meta-col sender_type,has_url,has_phone_number` (train's optional
                   extra feature columns; a sender's type is known to an SMS filter, not to a post scan)
  uci-sms          UCI SMS Spam: positive-class F1, 5-fold cross-validation on train
  vispam-rating    ViSpamReviews binary with the review's star rating as a `--meta-col` (the rating
                   is part of every review; the published PhoBERT setup reads the comment only)
  vispam-via-type  ViSpamReviews binary, trained on the four spam types (SpamLabel) with the
                   rating, a prediction of any spam type counting as spam: the finer labels
                   of the training data tell the model what kinds of spam there are

With --features v1,v2 every setup runs once per featurizer (v1: one jointly normalized n-gram
vector, the default before 2026-11-27; v2: each view normalized on its own, plus shape tokens),
as NAME:v1 / NAME:v2, so the two are compared in the same run.

Every setup runs `train`'s defaults (the plain CV-tuned TF-IDF linear model; smishing-meta adds the
meta columns). With --ensemble, each is also trained with `train(..., ensemble=True)` (char+word
ensembles tried inside) in the same run, as `NAME:ensemble`.

Each line also gives the training time and the scoring throughput (texts/s, one process, numpy
scoring as in a scan). The datasets are read from the shared folder, never copied. Writes
bench/out/datasets.json. Official test splits are not available here: scores are on dev (or CV).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from trustwatch.learn.data import read_labeled
from trustwatch.learn.features import V2, FeatureSettings
from trustwatch.learn.metrics import macro_f1, per_class
from trustwatch.learn.train import train

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "datasets"

SETUPS = {
    "vihsd": ("vihsd", "free_text", "label_id", "dev", "macro"),
    "vispam-binary": ("vispamreviews", "Comment", "Label", "dev", "macro"),
    "vispam-type": ("vispamreviews", "Comment", "SpamLabel", "dev", "macro"),
    "smishing": ("vi-sms-smishing", "content", "label", "cv", "positive:1"),
    "smishing-meta": ("vi-sms-smishing", "content", "label", "cv", "positive:1"),
    "uci-sms": ("uci-sms-spam", "SMS", "Label", "cv", "positive:spam"),
    "vispam-rating": ("vispamreviews", "Comment", "Label", "dev", "macro"),
    "vispam-via-type": ("vispamreviews", "Comment", "SpamLabel", "dev", "collapse:0"),
}
FEATURES = {"v1": FeatureSettings(), "v2": V2}


def score(clf, texts: list[str], labels: list[str], metric: str) -> tuple[float, float, dict]:
    t0 = time.perf_counter()
    pred = clf.predict(texts)
    tps = len(texts) / (time.perf_counter() - t0)
    index = {n: i for i, n in enumerate(clf.labels)}
    y = np.array([index[v] for v in labels])
    p = np.array([index[v] for v in pred])
    pc = {clf.labels[i]: v for i, v in enumerate(per_class(y, p, len(clf.labels)))}
    if metric == "macro":
        return macro_f1(y, p, len(clf.labels)), tps, pc
    if metric.startswith("collapse:"):  # any label but the named one counts as positive
        neg = index[metric.split(":", 1)[1]]
        yb, pb = (y != neg).astype(int), (p != neg).astype(int)
        return macro_f1(yb, pb, 2), tps, {"0": per_class(yb, pb, 2)[0], "1": per_class(yb, pb, 2)[1]}
    return pc[metric.split(":", 1)[1]]["f1"], tps, pc


META = {"smishing-meta": ("sender_type", "has_url", "has_phone_number"), "vispam-rating": ("Rating",),
        "vispam-via-type": ("Rating",)}


def run(name: str, data: Path, folds: int, ensemble: bool = False, settings: FeatureSettings | None = None,
        embed: bool | None = None) -> dict:
    folder, text_col, label_col, protocol, metric = SETUPS[name]
    meta = META.get(name, ())
    tr = read_labeled(data / folder / "train.csv", text_col, label_col, meta)
    t0 = time.perf_counter()
    if protocol == "dev":
        dev = read_labeled(data / folder / "dev.csv", text_col, label_col, meta)
        clf = train(tr.texts, tr.labels, ensemble=ensemble, settings=settings, embed=embed)
        train_s = time.perf_counter() - t0
        f, tps, pc = score(clf, dev.texts, dev.labels, metric)
        return {"score": round(f, 4), "metric": f"{metric} F1 on dev", "n_train": len(tr.texts), "n_eval": len(dev.texts),
                "train_seconds": round(train_s, 1), "texts_per_s": round(tps), "per_class": pc, "model": clf.manifest["model"],
                "embedding": clf.manifest.get("embedding"), "cv_macro_f1": clf.manifest["cv"]["macro_f1"]}
    from sklearn.model_selection import StratifiedKFold

    y = np.array(tr.labels)
    scores, tpss, secs = [], [], []
    chosen = []
    for k, (a, b) in enumerate(StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y)):
        t0 = time.perf_counter()
        clf = train([tr.texts[i] for i in a], [tr.labels[i] for i in a], ensemble=ensemble, settings=settings, embed=embed)
        secs.append(time.perf_counter() - t0)
        f, tps, _ = score(clf, [tr.texts[i] for i in b], [tr.labels[i] for i in b], metric)
        scores.append(f)
        tpss.append(tps)
        chosen.append(clf.manifest["model"])
        print(f"  {name} fold {k + 1}: {f:.4f}", flush=True)
    return {"score": round(float(np.mean(scores)), 4), "std": round(float(np.std(scores)), 4),
            "metric": f"{metric} F1, {folds}-fold CV on train", "n_train": len(tr.texts),
            "train_seconds": round(float(np.mean(secs)), 1), "texts_per_s": round(float(np.mean(tpss))),
            "folds": [round(s, 4) for s in scores], "models": chosen}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--only", default=",".join(SETUPS))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", default=str(HERE / "out" / "datasets.json"), help="JSON report (updated, not replaced)")
    ap.add_argument("--ensemble", action="store_true", help="also train each setup with ensemble=True, same run")
    ap.add_argument("--embed", choices=("auto", "off", "on"), default="auto",
                    help="the sentence-embedding view: auto (as `trustwatch train`: kept if cross-validation says it helps), off, on")
    ap.add_argument("--features", default="", help="comma-separated featurizers to compare (v1,v2); default: train's own")
    args = ap.parse_args()
    data = Path(args.data)
    if not data.is_dir():
        sys.exit(f"{data}: no datasets folder; pass --data")
    out = Path(args.out)
    report = json.loads(out.read_text()) if out.exists() else {}
    report["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    feats = [f for f in args.features.split(",") if f] or [""]
    for name in args.only.split(","):
        for feat, ensemble in [(f, e) for f in feats for e in ((False, True) if args.ensemble else (False,))]:
            r = run(name, data, args.folds, ensemble, FEATURES[feat] if feat else None,
                    {"auto": None, "off": False, "on": True}[args.embed])
            r["features"] = feat or "train default"
            key = name + (f":{feat}" if feat else "") + (":ensemble" if ensemble else "")
            report[key] = r
            print(f"{key:23s} {r['score']:.4f} ({r['metric']})  train {r['train_seconds']}s  score {r['texts_per_s']:,} texts/s",
                  flush=True)
            out.parent.mkdir(exist_ok=True)
            out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
