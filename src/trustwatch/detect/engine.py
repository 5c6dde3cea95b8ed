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
from ..policy import LoadedPack, compile_expr, expr_groups
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


_NONE: frozenset[str] = frozenset()
_EMPTY: dict[str, float] = {}


class Detector:
    """Compiled packs. Build once per process; `detect` is the hot path."""

    def __init__(self, packs: list[LoadedPack], cascade: bool = True) -> None:
        self.packs = packs
        self.cascade = cascade  # False: every signal runs on every post (the reference behaviour)
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
        negated = {p.id: {g for g, neg in expr_groups(p.require).items() if neg} for p in packs}
        # The cascade, cheapest signal type first. A costly type runs in two stages: first for the
        # groups that argue for a flag, then for the groups under `not` (news, warnings,
        # disclosures), which only matter once a flag is within reach.
        plan: list[list[SignalRef]] = []
        names: list[str] = []
        for name in sorted(by_type, key=lambda name: (types[name].cost, name)):
            refs = by_type[name]
            if types[name].cost <= 1:
                parts = [refs]
            else:
                parts = [[r for r in refs if r.group not in negated[r.pack_id]], [r for r in refs if r.group in negated[r.pack_id]]]
            for part in parts:
                if part:
                    plan.append(part)
                    names.append(name)
        self.stages: list[tuple[Matcher, dict[str, frozenset[int]]]] = []
        self.stage_names = names
        self._uncertain_only = [types[name].only_when_uncertain for name in names]
        # Posts that reached each costly (cost >= 10) signal type's stages; the scan reports the share.
        self._counted = [types[name].cost >= 10 for name in names]
        self.stage_posts: dict[str, int] = {n: 0 for n, counted in zip(names, self._counted, strict=True) if counted}
        for name, refs in zip(names, plan, strict=True):
            refs_by_pack: dict[str, set[int]] = defaultdict(set)
            for ref in refs:
                refs_by_pack[ref.pack_id].add(ref.index)
            self.stages.append((types[name].build(refs), {k: frozenset(v) for k, v in refs_by_pack.items()}))
        # For each stage k and pack: the groups that still have signals in stage k or later.
        self._open_groups: list[dict[str, frozenset[str]]] = []
        for k in range(len(plan)):
            opened: dict[str, set[str]] = defaultdict(set)
            for refs in plan[k:]:
                for ref in refs:
                    opened[ref.pack_id].add(ref.group)
            self._open_groups.append({p: frozenset(g) for p, g in opened.items()})
        self._later_groups = self._open_groups[1:] + [{}]
        # Most posts match nothing for most packs; their bounds and scores are then constants.
        self._value = {p.id: compile_expr(p.require)[0] for p in packs}
        self._upper = {p.id: compile_expr(p.require)[1] for p in packs}
        # The lower bound: open groups under `not` may still rise to 1 (1 - the upper bound of `not e`).
        self._upper_not = {p.id: compile_expr(("not", p.require))[1] for p in packs}
        self._empty_score = {p.id: round(max(0.0, min(1.0, self._value[p.id]({}, frozenset()))), 4) for p in packs}
        self._empty_reachable = [
            {p.id: self._upper[p.id]({}, og.get(p.id, frozenset())) >= p.pack.threshold for p in packs}
            for og in self._open_groups
        ]
        # Per-stage and final loops over plain tuples: this runs for every post.
        self._ref_group = [(r.pack_id, r.group) for r in self.refs]
        self._stage_plan = [
            [
                (p.id, refs_by_pack[p.id], p.pack.threshold, self._upper[p.id],
                 self._open_groups[k].get(p.id, _NONE), self._empty_reachable[k][p.id])
                for p in packs if refs_by_pack.get(p.id)
            ]
            for k, (_, refs_by_pack) in enumerate(self.stages)
        ]
        self._final_plan = [
            (p.id, p.pack.threshold, self._value[p.id], self._empty_score[p.id], p.pack.mode == "shadow") for p in packs
        ]
        self.active = [p.id for p in packs if p.pack.mode == "active"]
        self.shadow = [p.id for p in packs if p.pack.mode == "shadow"]
        self._by_id = {p.id: p for p in packs}
        # The groups whose findings are evidence: those that argue for the flag, less the pack's gates.
        self._positive = {
            p.id: {g for g, neg in expr_groups(p.require).items() if not neg} - set(p.pack.gates) for p in packs
        }
        # A finding's explanation depends only on its signal, detail and weight, all drawn from
        # the packs (terms, pattern names): a bounded set, each sentence made once.
        self._explained: dict[tuple[int, str, float], str] = {}

    def _group_scores(self, hits: list[Hit]) -> dict[str, dict[str, float]]:
        # (pack, group) -> key -> strongest weight; a group's score is the noisy-OR of its keys.
        strength: dict[tuple[str, str], dict[str, float]] = {}
        ref_group = self._ref_group
        for h in hits:
            pg = ref_group[h.ref]
            keys = strength.get(pg)
            if keys is None:
                strength[pg] = {h.key: h.weight}
            elif h.weight > keys.get(h.key, -1.0):
                keys[h.key] = h.weight
        group_scores: dict[str, dict[str, float]] = {}
        for (pack_id, group), keys in strength.items():
            miss = 1.0
            for w in keys.values():
                miss *= 1.0 - w
            group_scores.setdefault(pack_id, {})[group] = 1.0 - miss
        return group_scores

    def _uncertain(self, k: int, only: set[int], group_scores: dict[str, dict[str, float]]) -> set[int]:
        """Drop from `only` the packs already certain to be flagged whatever stage k and later find."""
        open_groups = self._open_groups[k]
        keep: set[int] = set()
        for pack_id, refs, threshold, _, _, _ in self._stage_plan[k]:
            if only.isdisjoint(refs):
                continue
            gs = group_scores.get(pack_id)
            if gs is not None and 1.0 - self._upper_not[pack_id](gs, open_groups.get(pack_id, _NONE)) >= threshold:
                continue
            keep |= refs & only
        return keep

    def detect_document(self, doc: Document) -> dict[str, Any]:
        hits: list[Hit] = []
        group_scores: dict[str, dict[str, float]] = {}
        reached: set[str] | None = None
        for k, (matcher, _) in enumerate(self.stages):
            if k == 0:
                if self._counted[0]:
                    reached = {self.stage_names[0]}
                hits.extend(matcher.match(doc))
            else:
                # Run this costlier stage only for packs that could still reach their threshold.
                only: set[int] = set()
                if not self.cascade:
                    for entry in self._stage_plan[k]:
                        only |= entry[1]
                else:
                    # Packs with no evidence yet whose threshold is out of reach whatever this
                    # stage finds are dropped at once (a constant); the others are judged with
                    # only the groups this stage could still raise on this post open.
                    # A pack that could not reach its threshold even if every group still open
                    # rose to 1 is out before the stage is asked what it could find at all.
                    candidates = [
                        e for e in self._stage_plan[k]
                        if e[5] or (e[0] in group_scores and e[3](group_scores[e[0]], e[4]) >= e[2])
                    ]
                    possible = matcher.possible(doc) if candidates else None
                    if possible is None:
                        for pack_id, refs, threshold, upper, open_groups, _ in candidates:
                            if upper(group_scores.get(pack_id, _EMPTY), open_groups) >= threshold:
                                only |= refs
                    else:
                        later = self._later_groups[k]
                        rising: dict[str, set[str]] = {}
                        ref_group = self._ref_group
                        for r in possible:
                            pack_id, group = ref_group[r]
                            rising.setdefault(pack_id, set()).add(group)
                        for pack_id, refs, threshold, upper, _, _ in candidates:
                            groups = rising.get(pack_id)
                            if groups and upper(group_scores.get(pack_id, _EMPTY), later.get(pack_id, _NONE) | groups) >= threshold:
                                only |= refs
                    if only and self._uncertain_only[k]:
                        only = self._uncertain(k, only, group_scores)
                if not only:
                    continue
                if self._counted[k]:
                    reached = (reached or set()) | {self.stage_names[k]}
                new = matcher.match(doc, frozenset(only))
                if not new:
                    continue
                hits.extend(new)
            if hits:
                group_scores = self._group_scores(hits)
        if reached:
            for name in reached:
                self.stage_posts[name] = self.stage_posts.get(name, 0) + 1
        categories: dict[str, bool] = {}
        scores: dict[str, float] = {}
        shadow: dict[str, float] = {}
        flagged_ids: set[str] = set()
        for pack_id, threshold, value, empty_score, is_shadow in self._final_plan:
            gs = group_scores.get(pack_id)
            score = empty_score if gs is None else round(max(0.0, min(1.0, value(gs, _NONE))), 4)
            if is_shadow:
                shadow[pack_id] = score
                continue
            hit = score >= threshold
            categories[pack_id] = hit
            scores[pack_id] = score
            if hit:
                flagged_ids.add(pack_id)
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
            # Reading order, a longer span before the spans it holds: a finding inside another of
            # the same group that weighs no more says nothing new (`giỏ hàng` inside `bấm giỏ
            # hàng`, the host inside its URL) and is left out of the list; scores are unaffected.
            located.sort(key=lambda x: (x[0], x[1], -x[2], x[3]))
            seen: set[tuple[Any, ...]] = set()
            held: dict[tuple[str, str, str], list[tuple[int, int, float]]] = {}
            for _, start, end, _, h in located:
                ref = self.refs[h.ref]
                ident = (ref.pack_id, ref.group, h.key, h.source, start, end)
                if ident in seen:
                    continue
                seen.add(ident)
                spans = held.setdefault((ref.pack_id, ref.group, h.source), [])
                if any(a <= start and end <= b and h.weight <= w for a, b, w in spans):
                    continue
                spans.append((start, end, h.weight))
                explanation = self._explained.get((h.ref, h.detail, h.weight))
                if explanation is None:
                    pack = self._by_id[ref.pack_id]
                    explanation = (
                        f"{h.detail} in group “{ref.group}” (weight {h.weight:.2f}) of policy "
                        f"{pack.id} v{pack.pack.version}: {pack.pack.title}"
                    )
                    self._explained[(h.ref, h.detail, h.weight)] = explanation
                finding = {
                        "category": ref.pack_id,
                        "signal": self.ref_type[h.ref],
                        "score": round(h.weight, 4),
                        "source": h.source,
                        "start": start,
                        "end": end,
                        "excerpt": norms[h.source].original[start:end],
                        "explanation": explanation,
                }
                if h.data:
                    finding.update(h.data)
                findings.append(finding)
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
