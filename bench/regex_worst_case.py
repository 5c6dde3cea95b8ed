"""Worst-case time of every pattern signal's regex on long adversarial texts.

    .venv/bin/python bench/regex_worst_case.py [--chars 8000] [--limit 0.05]

Python's regex engine backtracks: a pattern with two adjacent quantifiers over the same characters
(`\\s*(?:x)?\\s*`, `(?:\\w+\\s*){0,2}`, an unanchored `\\d+` before a unit) can take time quadratic in
the length of a run of spaces, newlines or digits, and a post may hold 100,000 characters. Every
pattern of every shipped pack (and every built-in) is run over each filler (spaces, newlines,
digits, digits with separators, letters, `@`) after each of the words the patterns start with
(`link`, `mã`, `giá`, `vốn`, `lãi`, `+84`, `$` ...), and the slowest case per regex is reported.
Prints the regexes over `--limit` seconds (none is the goal) and writes bench/out/regex_worst_case.json.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import yaml

from trustwatch.detect.pattern import BUILTIN

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["", "link ", "mã ", "code ", "giá ", "chỉ ", "nhập ", "send ", "pay ", "vốn ", "mỗi ngày ", "lãi ", "ib ",
        "stk ", "zalo ", "http://", "www.", "0", "+84", "$", "thầy ", "tài khoản "]


def fillers(n: int) -> list[str]:
    return [" " * n, "\n" * n, "1" * n, "1 " * (n // 2), "1." * (n // 2), "a " * (n // 2), "a" * n, "đ " * (n // 2),
            "x.y" * (n // 3), "@" * n, "k " * (n // 2)]


def regexes() -> dict[str, re.Pattern[str]]:
    out = {f"builtin:{k}": re.compile(v, re.IGNORECASE) for k, v in BUILTIN.items()}
    for f in sorted((ROOT / "src" / "trustwatch" / "packs").rglob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for s in data.get("signals") or []:
            if isinstance(s, dict) and s.get("type") == "pattern" and s.get("regex"):
                out[f"{f.relative_to(ROOT / 'src' / 'trustwatch' / 'packs')}:{s.get('name')}"] = re.compile(s["regex"], re.IGNORECASE)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chars", type=int, default=8000)
    ap.add_argument("--limit", type=float, default=0.05)
    args = ap.parse_args()
    texts = [k + f for k in KEYS for f in fillers(args.chars)]
    worst = {}
    for name, rx in regexes().items():
        slowest = (0.0, "")
        for t in texts:
            t0 = time.perf_counter()
            for _ in rx.finditer(t):
                pass
            dt = time.perf_counter() - t0
            if dt > slowest[0]:
                slowest = (dt, repr(t[:12]))
        worst[name] = {"seconds": round(slowest[0], 4), "input": slowest[1]}
    over = {k: v for k, v in worst.items() if v["seconds"] > args.limit}
    top = sorted(worst.items(), key=lambda kv: -kv[1]["seconds"])[:5]
    print(f"{len(worst)} regexes, {len(texts)} texts of ~{args.chars} characters each")
    print("slowest:", ", ".join(f"{k} {v['seconds']}s" for k, v in top))
    print(f"over {args.limit}s: {len(over)}", *(f"\n  {k}: {v}" for k, v in over.items()))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "regex_worst_case.json").write_text(json.dumps({"chars": args.chars, "worst": worst}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
