"""The detection engine: run every signal once per post, then score each pack's `require` logic.

A group's score is the noisy-OR of the weights of the distinct things that matched in it; the
pack's score is its `require` expression in fuzzy logic (and = min, or = max, not = 1 - x). A post
is flagged for a category when that score reaches the pack's threshold. Evidence (findings) is kept
for flagged categories, from the groups that argue *for* the flag.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..models import Post
from ..normalize import normalize
from ..policy import Expr, LoadedPack, eval_expr, expr_groups
from .base import Document, Hit, Matcher, SignalRef
from .registry import signal_types



def document_for(post: Post) -> Document:
    sources = [("text", normalize(post.text))]
    if post.title:
        sources.append(("title", normalize(post.title)))
    if post.hashtags:
        sources.append(("hashtags", normalize(" ".join("#" + h.lstrip("#") for h in post.hashtags))))
    return Document(tuple(sources))


def document_for_text(text: str) -> Document:
    return Document((("text", normalize(text)),))


def upper_bound(expr: Expr, scores: dict[str, float], open_groups: frozenset[str]) -> float:
    """The highest value `expr` can still take when the `open_groups` may yet rise to 1."""
    return _bounds(expr, scores, open_groups)[1]


def _bounds(expr: Expr, scores: dict[str, float], open_groups: frozenset[str]) -> tuple[float, float]:
    kind = expr[0]
    if kind == "group":
        lo = scores.get(expr[1], 0.0)
        return lo, (1.0 if expr[1] in open_groups else lo)
    if kind == "not":
        lo, hi = _bounds(expr[1], scores, open_groups)
        return 1.0 - hi, 1.0 - lo
    a, b = _bounds(expr[1], scores, open_groups), _bounds(expr[2], scores, open_groups)
    if kind == "and":
        return min(a[0], b[0]), min(a[1], b[1])
    return max(a[0], b[0]), max(a[1], b[1])


class Detector:
    """Compiled packs. Build once per process; `detect` is the hot path."""

    def __init__(self, packs: list[LoadedPack]) -> None:
        self.packs = packs
        self.refs: list[SignalRef] = []
        self.ref_type: list[str] = []
        by_type: dict[str, list[SignalRef]] = defaultdict(list)
        for pack in packs:
            for spec, cfg in zip(pack.pack.signals, pack.signals, strict=True):
                ref = SignalRef(len(self.refs), pack.id, spec.group, cfg)
                self.refs.append(ref)
                self.ref_type.append(spec.type)
                by_type[spec.type].append(ref)
        types = signal_types()
        # The cascade: one stage per signal type, cheapest first.
        order = sorted(by_type, key=lambda name: (types[name].cost, name))
        self.stages: list[tuple[Matcher, dict[str, frozenset[int]]]] = []
        for name in order:
            refs_by_pack: dict[str, set[int]] = defaultdict(set)
            for ref in by_type[name]:
                refs_by_pack[ref.pack_id].add(ref.index)
            self.stages.append((types[name].build(by_type[name]), {k: frozenset(v) for k, v in refs_by_pack.items()}))
        # For each stage k and pack: the groups that still have signals in stage k or later.
        self._open_groups: list[dict[str, frozenset[str]]] = []
        for k in range(len(order)):
            opened: dict[str, set[str]] = defaultdict(set)
            for name in order[k:]:
                for ref in by_type[name]:
                    opened[ref.pack_id].add(ref.group)
            self._open_groups.append({p: frozenset(g) for p, g in opened.items()})
        self.active = [p.id for p in packs if p.pack.mode == "active"]
        self.shadow = [p.id for p in packs if p.pack.mode == "shadow"]
        self._by_id = {p.id: p for p in packs}
        self._positive = {p.id: {g for g, neg in expr_groups(p.require).items() if not neg} for p in packs}

    def _group_scores(self, hits: list[Hit]) -> dict[str, dict[str, float]]:
        # (pack, group) -> key -> strongest weight; a group's score is the noisy-OR of its keys.
        strength: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
        for h in hits:
            ref = self.refs[h.ref]
            keys = strength[(ref.pack_id, ref.group)]
            if h.weight > keys.get(h.key, -1.0):
                keys[h.key] = h.weight
        group_scores: dict[str, dict[str, float]] = defaultdict(dict)
        for (pack_id, group), keys in strength.items():
            miss = 1.0
            for w in keys.values():
                miss *= 1.0 - w
            group_scores[pack_id][group] = 1.0 - miss
        return group_scores

    def detect_document(self, doc: Document) -> dict[str, Any]:
        hits: list[Hit] = []
        group_scores: dict[str, dict[str, float]] = {}
        for k, (matcher, refs_by_pack) in enumerate(self.stages):
            if k == 0:
                hits.extend(matcher.match(doc))
            else:
                # Run this costlier stage only for packs that could still reach their threshold.
                open_groups = self._open_groups[k]
                only: set[int] = set()
                for pack in self.packs:
                    refs = refs_by_pack.get(pack.id)
                    if refs and upper_bound(pack.require, group_scores.get(pack.id, {}), open_groups.get(pack.id, frozenset())) >= pack.pack.threshold:
                        only |= refs
                if only:
                    hits.extend(matcher.match(doc, frozenset(only)))
            group_scores = self._group_scores(hits)
        categories: dict[str, bool] = {}
        scores: dict[str, float] = {}
        shadow: dict[str, float] = {}
        flagged_ids: set[str] = set()
        for pack in self.packs:
            score = round(max(0.0, min(1.0, eval_expr(pack.require, group_scores.get(pack.id, {})))), 4)
            hit = score >= pack.pack.threshold
            if pack.pack.mode == "shadow":
                shadow[pack.id] = score
                continue
            categories[pack.id] = hit
            scores[pack.id] = score
            if hit:
                flagged_ids.add(pack.id)
        findings = []
        if flagged_ids:
            source_order = {name: i for i, (name, _) in enumerate(doc.sources)}
            norms = dict(doc.sources)
            located = []
            for h in hits:
                ref = self.refs[h.ref]
                if ref.pack_id not in flagged_ids or ref.group not in self._positive[ref.pack_id]:
                    continue
                view = norms[h.source].folded if h.view == "folded" else norms[h.source].plain
                start, end = view.span(h.start, h.end)
                located.append((source_order[h.source], start, end, h.ref, h))
            located.sort(key=lambda x: x[:4])
            seen: set[tuple[Any, ...]] = set()
            for _, start, end, _, h in located:
                ref = self.refs[h.ref]
                ident = (ref.pack_id, ref.group, h.key, h.source, start, end)
                if ident in seen:
                    continue
                seen.add(ident)
                pack = self._by_id[ref.pack_id]
                findings.append(
                    {
                        "category": ref.pack_id,
                        "signal": self.ref_type[h.ref],
                        "score": round(h.weight, 4),
                        "source": h.source,
                        "start": start,
                        "end": end,
                        "excerpt": norms[h.source].original[start:end],
                        "explanation": (
                            f"{h.detail} in group “{ref.group}” (weight {h.weight:.2f}) of policy "
                            f"{pack.id} v{pack.pack.version}: {pack.pack.title}"
                        ),
                    }
                )
        result: dict[str, Any] = {
            "flagged": bool(flagged_ids),
            "categories": categories,
            "category_scores": scores,
            "findings": findings,
        }
        if shadow:
            result["shadow_scores"] = shadow
        return result

    def detect(self, post: Post) -> dict[str, Any]:
        return self.detect_document(document_for(post))

    def detect_text(self, text: str) -> dict[str, Any]:
        return self.detect_document(document_for_text(text))
