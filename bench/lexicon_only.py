"""The shipped packs without their classifier signals (the pre-issue-3 behaviour, and the default
packs before 2026-11-27), as a baseline.

Writes each shipped pack with its `type: classifier` lines removed and `or learned` (or
`or (learned and hint)`, the classifier behind its topic hint) dropped from `require` into a
folder, and returns the folder (pass it as `--policy` / `policies=`). The topic hint (its `hint`
lexicon and the `gates` line) goes with the classifier."""

from __future__ import annotations

import re
import tempfile
from importlib import resources
from pathlib import Path


def write_lexicon_only_packs(folder: str | Path | None = None) -> Path:
    out = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="tw-lexonly-"))
    out.mkdir(parents=True, exist_ok=True)
    for f in (resources.files("trustwatch") / "packs").iterdir():
        if not f.name.endswith(".yaml"):
            continue
        text = f.read_text(encoding="utf-8")
        text = re.sub(r"^\s*- \{type: classifier[^\n]*\n", "", text, flags=re.MULTILINE)
        text = text.replace(" or (learned and hint))", ")").replace(" or learned)", ")")
        text = re.sub(r"^gates: [^\n]*\n", "", text, flags=re.MULTILINE)  # the hint no longer gates anything
        # and goes, so the baseline does not match its words: the packs exactly as before the classifiers
        text = re.sub(r"^  # --- hint:.*?(?=^  # --- learned:)", "", text, flags=re.MULTILINE | re.DOTALL)
        if "learned" in text.split("\nrequire:", 1)[1].split("\n", 1)[0]:
            raise SystemExit(f"{f.name}: cannot strip the classifier from this require expression")
        (out / f.name).write_text(text, encoding="utf-8")
    return out


def edition_detectors() -> dict:
    """Detectors for the three editions the benchmarks compare: the packs without any classifier,
    the default packs (classifiers behind their topic hint) and `--policy learned` (no hint)."""
    from trustwatch.detect import Detector
    from trustwatch.policy import load_packs

    return {"lexicon": Detector(load_packs([write_lexicon_only_packs()])), "default": Detector(load_packs()),
            "learned": Detector(load_packs(["learned"]))}
