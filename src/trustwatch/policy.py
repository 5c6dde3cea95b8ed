"""Policy packs: the published criteria, validated at the boundary.

A pack is YAML written by an operator. Everything that can be checked before a scan is checked
here, and every problem is reported as `file:field: what is wrong; how to fix it`, all at once, so
an operator fixes a pack in one pass instead of one error per run.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import PolicyError

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


class SignalSpec(BaseModel):
    """Fields every signal has; each signal type validates the rest with its own model."""

    model_config = ConfigDict(extra="allow")
    type: str
    group: str
    weight: float = Field(0.7, ge=0.0, le=1.0)

    @field_validator("group")
    @classmethod
    def _snake(cls, v: str) -> str:
        if not SNAKE.match(v):
            raise ValueError(f"group {v!r} is not snake_case")
        return v


class DSA(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str
    keywords: list[str] = []
    decision_ground: Literal["DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"] = (
        "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    )
    legal_ground: str | None = None

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if not v.startswith("STATEMENT_CATEGORY_"):
            raise ValueError(f"{v!r} is not a DSA statement category code (they start with STATEMENT_CATEGORY_)")
        return v

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, v: list[str]) -> list[str]:
        for k in v:
            if not k.startswith("KEYWORD_"):
                raise ValueError(f"{k!r} is not a DSA keyword code (they start with KEYWORD_)")
        return v


class PolicyPack(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    version: int = 1
    title: str
    title_vi: str | None = None
    criterion: str
    criterion_vi: str | None = None
    severity: Literal["low", "medium", "high"]
    action: Literal["label", "review", "notice"]
    dsa: DSA
    signals: list[SignalSpec] = Field(min_length=1)
    require: str
    threshold: float = Field(0.5, gt=0.0, le=1.0)
    mode: Literal["active", "shadow"] = "active"
    # Groups that only decide whether a costlier signal is consulted (a topic hint in front of a
    # classifier): they count in `require` like any group but are never shown as evidence.
    gates: list[str] = []
    examples: list[str] = []
    counter_examples: list[str] = []

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not SNAKE.match(v):
            raise ValueError(f"id {v!r} is not snake_case")
        return v


# --- the `require` expression -------------------------------------------------------------------

Expr = tuple[Any, ...]  # ("group", name) | ("not", e) | ("and", a, b) | ("or", a, b)
_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z_][A-Za-z0-9_]*)")


def parse_require(text: str) -> Expr:
    """Parse `topic and (commerce or contact) and not context` into a small tree."""
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"unexpected character {text[pos]!r} at position {pos}")
        tokens.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    i = 0

    def peek() -> str | None:
        return tokens[i] if i < len(tokens) else None

    def take() -> str:
        nonlocal i
        if i >= len(tokens):
            raise ValueError("the expression ends too early")
        i += 1
        return tokens[i - 1]

    def parse_or() -> Expr:
        left = parse_and()
        while peek() == "or":
            take()
            left = ("or", left, parse_and())
        return left

    def parse_and() -> Expr:
        left = parse_not()
        while peek() == "and":
            take()
            left = ("and", left, parse_not())
        return left

    def parse_not() -> Expr:
        if peek() == "not":
            take()
            return ("not", parse_not())
        tok = take()
        if tok == "(":
            inner = parse_or()
            if peek() != ")":
                raise ValueError("a '(' is not closed")
            take()
            return inner
        if tok in ("and", "or", ")"):
            raise ValueError(f"{tok!r} where a group name was expected")
        return ("group", tok)

    tree = parse_or()
    if i != len(tokens):
        raise ValueError(f"unexpected {tokens[i]!r} after a complete expression")
    return tree


def expr_groups(expr: Expr, negated: bool = False) -> dict[str, bool]:
    """Group names in an expression, each with whether it only appears under `not`."""
    kind = expr[0]
    if kind == "group":
        return {expr[1]: negated}
    if kind == "not":
        return expr_groups(expr[1], not negated)
    out = expr_groups(expr[1], negated)
    for name, neg in expr_groups(expr[2], negated).items():
        out[name] = out.get(name, True) and neg
    return out


def eval_expr(expr: Expr, scores: dict[str, float]) -> float:
    """Fuzzy logic: and = min, or = max, not = 1 - x; a group with no match scores 0."""
    kind = expr[0]
    if kind == "group":
        return scores.get(expr[1], 0.0)
    if kind == "not":
        return 1.0 - eval_expr(expr[1], scores)
    a, b = eval_expr(expr[1], scores), eval_expr(expr[2], scores)
    return min(a, b) if kind == "and" else max(a, b)


def compile_expr(expr: Expr) -> tuple[Any, Any]:
    """Compile an expression into two fast functions of (scores, open_groups):
    its value (open groups count as their current score) and its upper bound (open groups may
    still rise to 1). Evaluated for every pack of every post, so it is generated once as code."""

    names = itertools.count()  # a fresh pair of variable names for each and/or

    def gen(e: Expr, upper: bool) -> str:
        kind = e[0]
        if kind == "group":
            cur = f"s.get({e[1]!r}, 0.0)"
            return f"(1.0 if {e[1]!r} in o else {cur})" if upper else cur
        if kind == "not":
            return f"(1.0 - {gen(e[1], not upper)})"
        # min / max written out, with the second side skipped when the first settles it (most
        # groups of most posts score 0): the same numbers as min() and max(), without their calls
        a, b = f"_{next(names)}", f"_{next(names)}"
        left, right = gen(e[1], upper), gen(e[2], upper)
        if kind == "and":
            return f"(0.0 if ({a} := {left}) <= 0.0 else ({a} if {a} <= ({b} := {right}) else {b}))"
        return f"(1.0 if ({a} := {left}) >= 1.0 else ({a} if {a} >= ({b} := {right}) else {b}))"

    value = eval(f"lambda s, o: {gen(expr, False)}")  # safe: group names are identifiers from the parser, quoted by repr
    upper = eval(f"lambda s, o: {gen(expr, True)}")
    return value, upper


# --- loading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedPack:
    pack: PolicyPack
    path: str
    sha256: str
    require: Expr
    signals: tuple[Any, ...]  # each signal type's validated config model
    extends: str | None = None  # the base pack this one extends, as its file names it

    @property
    def id(self) -> str:
        return self.pack.id


_HINTS = {
    "missing": "add this field",
    "extra_forbidden": "remove it or check its spelling",
    "literal_error": "use one of the allowed values",
    "float_parsing": "write a number",
    "float_type": "write a number",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "string_type": "write text",
    "list_type": "write a list (`- item` lines)",
    "less_than_equal": "use a smaller value",
    "greater_than_equal": "use a larger value",
    "greater_than": "use a larger value",
    "too_short": "add at least one entry",
    "value_error": "correct the value",
    "model_type": "write a mapping (`key: value` lines)",
    "dict_type": "write a mapping (`key: value` lines)",
}


# libyaml's safe loader when PyYAML was built with it: ten times faster, and every scan process loads
# the packs once at start.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _loc(parts: tuple[Any, ...]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(top level)"


def _format_error(path: str, e: Any, loc: tuple[Any, ...]) -> str:
    loc = tuple(p for p in loc if not (isinstance(p, str) and "[" in p))
    msg = e["msg"].removeprefix("Value error, ")
    hint = _HINTS.get(e["type"], "correct the value")
    if e["type"] == "literal_error" and "expected" in e.get("ctx", {}):
        hint = f"use one of {e['ctx']['expected']}"
    return f"{path}:{_loc(loc)}: {msg}; {hint}"


def format_validation_error(path: str, err: ValidationError, prefix: tuple[Any, ...] = ()) -> list[str]:
    return [_format_error(path, e, prefix + tuple(e["loc"])) for e in err.errors()]


def _read_yaml(path: str) -> tuple[dict[str, Any], str]:
    """(the parsed YAML, its text) of a pack file; PolicyError naming the file otherwise."""
    try:
        raw_text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError([f"{path}:(file): the policy file does not exist; check the path"]) from None
    except UnicodeDecodeError:
        raise PolicyError([f"{path}:(file): the policy file is not UTF-8 text; save it as UTF-8"]) from None
    return _parse_yaml(path, raw_text), raw_text


def _parse_yaml(path: str, raw_text: str) -> dict[str, Any]:
    """A pack file's YAML, which must be a mapping; PolicyError naming the file otherwise."""
    try:
        data = yaml.load(raw_text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise PolicyError([f"{path}:{where}: {problem}; fix the YAML syntax (indentation, quotes, colons)"]) from None
    if not isinstance(data, dict):
        raise PolicyError([f"{path}:(top level): a policy pack must be a mapping of fields; start with `id: ...`"])
    return data


# A pack may extend another instead of copying it (the `learned` edition extends the default packs):
#   extends: ../scam.yaml          the base pack, relative to this file
#   drop_groups: [hint]            the base's signals of these groups are left out
#   add_signals: [...]             signals appended after the base's
# Every other field given replaces the base's. The pack's fingerprint covers the base's text too.
_EXTEND_KEYS = ("extends", "drop_groups", "add_signals")


# Where a merged pack's signal was written: (file, field, index), so an error names that line.
Origin = tuple[str, str, int]


def _extend(path: str, data: dict[str, Any], raw_text: str, chain: tuple[str, ...]) -> tuple[dict[str, Any], str, list[Origin]]:
    def fail(where: str, problem: str) -> PolicyError:
        return PolicyError([f"{path}:{where}: {problem}"])

    ref = data["extends"]
    if not isinstance(ref, str) or not ref.strip():
        raise fail("extends", "write the base pack's file path, relative to this file")
    base_path = str((Path(path).parent / ref).resolve()) if not Path(ref).is_absolute() else ref
    if str(Path(base_path).resolve()) in {str(Path(c).resolve()) for c in chain}:
        cycle = " -> ".join(chain)
        raise fail("extends", f"{ref} extends this pack back (a cycle: {cycle}); let one of them stand on its own")
    if not Path(base_path).is_file():
        raise fail("extends", f"the base pack {ref} does not exist ({base_path}); check the path")
    base, base_text = _read_yaml(base_path)
    origins: list[Origin] | None = None
    if "extends" in base:
        base, base_text, origins = _extend(base_path, base, base_text, (*chain, base_path))
    signals = base.get("signals") or []
    if not isinstance(signals, list):
        raise PolicyError([f"{base_path}:signals: write a list of signals (`- type: ...` lines)"])
    if origins is None:
        origins = [(base_path, "signals", j) for j in range(len(signals))]
    drop = data.get("drop_groups", [])
    add = data.get("add_signals", [])
    if not isinstance(drop, list) or not all(isinstance(g, str) for g in drop):
        raise fail("drop_groups", "write a list of group names")
    if not isinstance(add, list):
        raise fail("add_signals", "write a list of signals (`- type: ...` lines)")
    have = sorted({s["group"] for s in signals if isinstance(s, dict) and isinstance(s.get("group"), str)})
    missing = sorted(set(drop) - set(have))
    if missing:
        raise fail("drop_groups", f"group(s) {missing} are not in the base pack {ref}; its groups are {have}")
    merged = {**base, **{k: v for k, v in data.items() if k not in _EXTEND_KEYS}}
    if "signals" not in data:
        kept = [k for k, s in enumerate(signals) if not (isinstance(s, dict) and s.get("group") in drop)]
        merged["signals"] = [signals[k] for k in kept] + add
        origins = [origins[k] for k in kept]
        origins += [(path, "add_signals", j) for j in range(len(add))]
    elif drop or add:
        raise fail("signals", "a pack that gives its own `signals` replaces the base's; drop `drop_groups` and "
                   "`add_signals`, or `signals`")
    else:
        origins = [(path, "signals", j) for j in range(len(data["signals"]) if isinstance(data["signals"], list) else 0)]
    return merged, f"{base_text}\n# --- extended by {Path(path).name}\n{raw_text}", origins


def _origin(path: str, origins: list[Origin] | None, i: int) -> Origin:
    """Where signal i of a pack was written: in an extending pack, its own `add_signals[j]` or the
    base's `signals[j]`; otherwise the pack's own `signals[i]`."""
    return origins[i] if origins and i < len(origins) else (path, "signals", i)


def _signal_errors(path: str, exc: ValidationError, origins: list[Origin] | None, prefix: tuple[Any, ...] = ()) -> list[str]:
    """Validation errors of a pack, each naming the file and field where it was written."""
    lines = []
    for e in exc.errors():
        loc = prefix + tuple(e["loc"])
        if len(loc) >= 2 and loc[0] == "signals" and isinstance(loc[1], int):
            file, field, j = _origin(path, origins, loc[1])
            lines.append(_format_error(file, e, (field, j, *loc[2:])))
        else:
            lines.append(_format_error(path, e, loc))
    return lines


def load_pack(path: str | Path, text: str | None = None) -> LoadedPack:
    """Load and validate one pack; raise PolicyError listing every problem."""
    from .detect.registry import signal_types  # detect depends on policy, not the reverse

    path = str(path)
    if text is None:
        data, raw_text = _read_yaml(path)
    else:
        data, raw_text = _parse_yaml(path, text), text
    base = data.get("extends")
    origins: list[Origin] | None = None
    if base is not None:
        data, raw_text, origins = _extend(path, data, raw_text, (path,))
    errors: list[str] = []
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_signal_errors(path, exc, origins)) from None
    types = signal_types()
    signals = []
    for i, spec in enumerate(pack.signals):
        st = types.get(spec.type)
        if st is None:
            file, field, j = _origin(path, origins, i)
            errors.append(f"{file}:{field}[{j}].type: unknown signal type {spec.type!r}; use one of {sorted(types)}")
            continue
        try:
            context = {"pack_path": path, "pack": data}
            signals.append(st.config_model.model_validate(spec.model_dump(), context=context))
        except ValidationError as exc:
            errors.extend(_signal_errors(path, exc, origins, ("signals", i)))
    require: Expr = ("group", "_")
    try:
        require = parse_require(pack.require)
        defined = {s.group for s in pack.signals}
        named = expr_groups(require)
        unknown = sorted(set(named) - defined)
        if unknown:
            errors.append(f"{path}:require: unknown group(s) {unknown}; groups defined by the signals are {sorted(defined)}")
        unused = sorted(set(pack.gates) - set(named))
        if unused:
            errors.append(f"{path}:gates: group(s) {unused} are not in `require`; a gate is a group that `require` names")
        negated = sorted(g for g in pack.gates if named.get(g))
        if negated:
            errors.append(f"{path}:gates: group(s) {negated} appear in `require` only under `not`; a gate admits a "
                          "costlier signal, so name it with `and` (e.g. `(learned and hint)`) or drop it from gates")
    except ValueError as exc:
        errors.append(f"{path}:require: {exc}; write group names joined by and, or, not and parentheses")
    stem = Path(path).stem
    if Path(path).suffix in (".yaml", ".yml") and stem != pack.id and text is None:
        errors.append(f"{path}:id: the id {pack.id!r} differs from the file name {stem!r}; rename one so they match")
    if errors:
        raise PolicyError(errors)
    digest = hashlib.sha256(raw_text.encode("utf-8")).hexdigest()
    return LoadedPack(pack=pack, path=path, sha256=digest, require=require, signals=tuple(signals),
                      extends=str(base) if base is not None else None)


def default_pack_paths() -> list[Path]:
    folder = resources.files("trustwatch") / "packs"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def _optional_names() -> list[str]:
    folder = resources.files("trustwatch") / "packs" / "optional"
    return [p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")] if folder.is_dir() else []


def _shipped(name: str) -> Path:
    """`default`: the default packs' folder (three of them ask a seed classifier behind a topic
    hint); `learned`: the same packs with all four seed classifiers and no hint (behind the content
    gate only); an opt-in pack's name: its file."""
    folder = resources.files("trustwatch") / "packs"
    if name == "default":
        return Path(str(folder))
    if name == "learned":
        return Path(str(folder / "learned"))
    return Path(str(folder / "optional" / f"{name}.yaml"))


def load_packs(paths: list[str | Path] | None = None) -> list[LoadedPack]:
    """Load packs from files or folders (default: the shipped packs); ids must be unique."""
    files: list[Path] = []
    for p in paths or default_pack_paths():
        p = Path(p)
        if not p.exists() and str(p) in ("default", "learned", *_optional_names()):  # shipped names (issue 3)
            p = _shipped(str(p))
        if p.is_dir():
            files.extend(sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")))
        else:
            files.append(p)
    if not files:
        raise PolicyError([f"{paths}:(file): no policy packs found; pass --policy with a .yaml file or a folder of them"])
    errors: list[str] = []
    packs: list[LoadedPack] = []
    seen: dict[str, str] = {}
    for f in files:
        try:
            if f.suffix.lower() == ".csv":  # a claims file: the built-in known_false_claim pack over it
                from .detect.claims import claims_pack_yaml

                lp = load_pack(f, text=claims_pack_yaml(str(f)))
            else:
                lp = load_pack(f)
        except PolicyError as exc:
            errors.extend(exc.errors)
            continue
        if lp.id in seen:
            errors.append(f"{f}:id: the id {lp.id!r} is also used by {seen[lp.id]}; give each pack its own id")
            continue
        seen[lp.id] = str(f)
        packs.append(lp)
    if errors:
        raise PolicyError(errors)
    return packs
