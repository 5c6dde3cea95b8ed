"""The shipped packs without their classifier signals (the pre-issue-3 behaviour, and the default
packs before 2026-11-27), as a baseline.

Writes, for each shipped pack, a small pack that `extends` it (policy.py) with its classifier
(group `learned`) and topic hint (group `hint`, the gate in front of the classifier) dropped,
no gates, and `or learned` / `or (learned and hint)` taken out of `require`, into a folder, and
returns the folder (pass it as `--policy` / `policies=`)."""

from __future__ import annotations

import json
import tempfile
from importlib import resources
from pathlib import Path

import yaml

DROPPED = ("learned", "hint")


def write_lexicon_only_packs(folder: str | Path) -> Path:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for f in (resources.files("trustwatch") / "packs").iterdir():
        if not f.name.endswith(".yaml"):
            continue
        pack = yaml.safe_load(f.read_text(encoding="utf-8"))
        require = pack["require"].replace(" or (learned and hint))", ")").replace(" or learned)", ")")
        if "learned" in require:
            raise SystemExit(f"{f.name}: cannot strip the classifier from this require expression")
        groups = {s["group"] for s in pack["signals"]}
        overlay = {"extends": str(Path(str(f)).resolve()), "drop_groups": [g for g in DROPPED if g in groups],
                   "gates": [], "require": require}
        (out / f.name).write_text(json.dumps(overlay, ensure_ascii=False) + "\n", encoding="utf-8")  # JSON is YAML
    return out


def edition_detectors() -> dict:
    """Detectors for the three editions the benchmarks compare: the packs without any classifier,
    the default packs (classifiers behind their topic hint) and `--policy learned` (no hint)."""
    from trustwatch.detect import Detector
    from trustwatch.policy import load_packs

    with tempfile.TemporaryDirectory(prefix="tw-lexonly-") as tmp:
        lexicon = Detector(load_packs([write_lexicon_only_packs(tmp)]))
    return {"lexicon": lexicon, "default": Detector(load_packs()), "learned": Detector(load_packs(["learned"]))}
