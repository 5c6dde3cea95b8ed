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
from ..policy import LoadedPack, eval_expr, expr_groups
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
        self.matchers: list[Matcher] = [types[name].build(refs) for name, refs in by_type.items()]
        self.active = [p.id for p in packs if p.pack.mode == "active"]
        self.shadow = [p.id for p in packs if p.pack.mode == "shadow"]
        self._by_id = {p.id: p for p in packs}
        self._positive = {p.id: {g for g, neg in expr_groups(p.require).items() if not neg} for p in packs}

    def detect_document(self, doc: Document) -> dict[str, Any]:
        hits: list[Hit] = []
        for matcher in self.matchers:
            hits.extend(matcher.match(doc))
        # (pack, group) -> key -> strongest weight
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
            originals = dict((name, norm.original) for name, norm in doc.sources)
            seen: set[tuple[Any, ...]] = set()
            for h in sorted(hits, key=lambda h: (source_order[h.source], h.start, h.end, h.ref)):
                ref = self.refs[h.ref]
                if ref.pack_id not in flagged_ids or ref.group not in self._positive[ref.pack_id]:
                    continue
                ident = (ref.pack_id, ref.group, h.key, h.source, h.start, h.end)
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
                        "start": h.start,
                        "end": h.end,
                        "excerpt": originals[h.source][h.start : h.end],
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
