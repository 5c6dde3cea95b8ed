"""How often the topic-hint words of the default packs match real posts through a folding
collision: the word in the post has other diacritics than the hint word (`việc lắm` for `việc làm`,
`bởi` for `bói`), so an ordinary post is sent to a classifier it has nothing to do with.

    .venv/bin/python bench/hint_collisions.py [--data ../shared/datasets] [--top 15] [--out bench/out/hint_collisions.json]

Reads real comments and reviews none of which is about the seed categories on purpose — ViHSD
(26,720 social-media comments, train + dev) and ViSpamReviews (16,000 shop reviews, train + dev) —
from the shared datasets folder (never copied), runs the default packs' lexicon stage on each text,
and sorts every match of a `hint` group by what the post actually wrote:
  same         the hint word's own letters and tones (tone placement aside: hoà = hòa)
  unaccented   written without any diacritics (`viec lam`): ambiguous, counted apart
  collision    written with other diacritics: a different word that folds to the same letters
  other        another form the normalizer matches (spaced, hashtag, teencode)
A hint word whose matches are mostly collisions is sending ordinary posts to the classifier and
should be written longer or dropped. Also reports the share of texts the hint admits to the
classifier at all, and the share admitted by collisions alone; and, as the cost that matters, the
category flags each edition raises on the same texts (none of them is a post of a seed category by
design, though some ViSpamReviews spam is advertising): the packs without classifiers, the default
packs and `--policy learned`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lexicon_only import edition_detectors

from trustwatch.detect.engine import document_for_text

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "datasets"
SETS = (("vihsd", "free_text"), ("vispamreviews", "Comment"))
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # grave, acute, tilde, hook, dot below


def syllable_key(s: str) -> tuple[str, frozenset[str]]:
    """A syllable's letters (with their shape marks: â, ă, ơ, ư, đ) and its tone, wherever the tone
    mark sits: `hoà` and `hòa` give one key."""
    d = unicodedata.normalize("NFD", s.lower())
    return unicodedata.normalize("NFC", "".join(c for c in d if c not in TONES)), frozenset(c for c in d if c in TONES)


def kind(term: str, written: str) -> str:
    words = [w for w in "".join(c if c.isalnum() else " " for c in written).split()]
    if len(words) != len(term.split()):
        return "other"
    if all(ord(c) < 128 for c in "".join(words)):
        return "unaccented"
    if [syllable_key(w) for w in words] == [syllable_key(w) for w in term.split()]:
        return "same"
    return "collision"


def texts(data: Path, limit: int | None) -> list[tuple[str, str]]:
    out = []
    for folder, col in SETS:
        for split in ("train", "dev"):
            with open(data / folder / f"{split}.csv", encoding="utf-8", newline="") as f:
                out.extend((folder, r[col]) for r in csv.DictReader(f) if r.get(col))
    return out[:limit] if limit else out


def run(data: Path, top: int, limit: int | None) -> dict:
    rows = texts(data, limit)  # read once: the hint pass and the three editions' flags use them
    dets = edition_detectors()
    det = dets["default"]
    lexicon = det.stages[0][0]
    terms = {  # pack -> how many hint words it has
        pack.id: len(cfg.terms)
        for pack in det.packs for spec, cfg in zip(pack.pack.signals, pack.signals, strict=True) if spec.group == "hint"
    }
    by_term: dict[tuple[str, str], Counter] = defaultdict(Counter)
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    admitted = Counter()  # (set, pack) -> texts with a hint match
    by_collision = Counter()  # (set, pack) -> texts whose hint matches are all collisions
    n = Counter()
    for name, text in rows:
        n[name] += 1
        doc = document_for_text(text)
        norms = dict(doc.sources)
        kinds: dict[str, list[str]] = defaultdict(list)
        for h in lexicon.match(doc):
            ref = det.refs[h.ref]
            if ref.group != "hint":
                continue
            view = norms[h.source].folded if h.view == "folded" else norms[h.source].plain
            start, end = view.span(h.start, h.end)
            written = norms[h.source].original[start:end]
            term = h.detail.split("“", 1)[-1].split("”", 1)[0] if "“" in h.detail else h.key
            k = kind(term, written)
            by_term[(ref.pack_id, term)][k] += 1
            if k == "collision" and len(examples[(ref.pack_id, term)]) < 3:
                examples[(ref.pack_id, term)].append(written)
            kinds[ref.pack_id].append(k)
        for pack_id, ks in kinds.items():
            admitted[(name, pack_id)] += 1
            if all(k == "collision" for k in ks):
                by_collision[(name, pack_id)] += 1
    packs = sorted(terms)
    report = {"texts": dict(n), "flags": flags(rows, dets), "packs": {}}
    for p in packs:
        total = Counter()
        for (pid, _), c in by_term.items():
            if pid == p:
                total.update(c)
        worst = sorted(((t, c) for (pid, t), c in by_term.items() if pid == p and c["collision"]),
                       key=lambda x: (-x[1]["collision"], x[0]))[:top]
        report["packs"][p] = {
            "hint_terms": terms[p],
            "matches": dict(total),
            "collision_share": round(total["collision"] / max(1, sum(total.values())), 4),
            "texts_admitted": {s: admitted[(s, p)] for s in n},
            "texts_admitted_by_collision_only": {s: by_collision[(s, p)] for s in n},
            "worst": [{"term": t, **dict(c), "examples": examples[(p, t)]} for t, c in worst],
        }
    return report


def flags(rows: list[tuple[str, str]], dets: dict) -> dict:
    """Category flags per edition and dataset (the cost of the hint and the classifiers)."""
    out: dict = {}
    for edition, det in dets.items():
        counts: dict[str, Counter] = defaultdict(Counter)
        for name, text in rows:
            for cat, hit in det.detect_text(text)["categories"].items():
                counts[name][cat] += hit
        out[edition] = {name: {c: v for c, v in sorted(cs.items()) if v} for name, cs in counts.items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--limit", type=int, default=None, help="read only the first N texts (a quick look)")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "hint_collisions.json")
    a = ap.parse_args()
    if not (a.data / "vihsd").is_dir():
        sys.exit(f"{a.data}: no vihsd/ folder here; pass --data with the shared datasets folder")
    r = run(a.data, a.top, a.limit)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(r, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"texts: {r['texts']}")
    for edition, by_set in r["flags"].items():
        print(f"flags, {edition}: " + "; ".join(f"{k} {sum(v.values())} {v}" for k, v in by_set.items()))
    for p, v in r["packs"].items():
        m = v["matches"]
        print(f"\n{p}: {v['hint_terms']} hint words; matches {m}; collisions {v['collision_share']:.1%}")
        print(f"  texts admitted to the classifier: {v['texts_admitted']}; by collisions alone: "
              f"{v['texts_admitted_by_collision_only']}")
        for w in v["worst"]:
            print(f"  {w['term']!r}: collision {w['collision']}, same {w.get('same', 0)}, unaccented "
                  f"{w.get('unaccented', 0)}, other {w.get('other', 0)}  e.g. {w['examples']}")


if __name__ == "__main__":
    main()
