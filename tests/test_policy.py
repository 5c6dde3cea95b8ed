"""Policy packs: validation errors name the file and field and say how to fix them."""

from pathlib import Path

import pytest

from trustwatch.detect import Detector
from trustwatch.errors import PolicyError
from trustwatch.policy import compile_expr, eval_expr, load_pack, load_packs, parse_require

GOOD = """
id: demo_pack
title: Demo
criterion: Selling demo things for money.
severity: high
action: review
dsa: {category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD}
signals:
  - {type: lexicon, group: topic, terms: [xem bói]}
  - {type: pattern, group: commerce, name: vn_phone}
require: topic and commerce
"""


def write(tmp_path: Path, text: str, name: str = "demo_pack.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def errors_of(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as exc:
        load_pack(path)
    return exc.value.errors


def test_good_pack_loads(tmp_path: Path) -> None:
    lp = load_pack(write(tmp_path, GOOD))
    assert lp.id == "demo_pack" and len(lp.sha256) == 64


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("severity: high", "severity: extreme"),
            ":severity: Input should be 'low', 'medium' or 'high'; use one of",
        ),
        (("action: review", "acton: review"), ":action: Field required; add this field"),
        (
            ("require: topic and commerce", "require: topic and comerce"),
            ":require: unknown group(s) ['comerce']; groups defined by the signals are ['commerce', 'topic']",
        ),
        (
            ("require: topic and commerce", "require: topic and (commerce"),
            ":require: a '(' is not closed",
        ),
        (
            ("name: vn_phone", "name: phone_number"),
            ":signals[1]: Value error, 'phone_number' is not a built-in pattern".replace(
                "Value error, ", ""
            ),
        ),
        (
            ("type: lexicon", "type: lexicn"),
            ":signals[0].type: unknown signal type 'lexicn'; use one of",
        ),
        (
            ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "SCAMS"),
            ":dsa.category: 'SCAMS' is not a DSA statement category code",
        ),
        (("terms: [xem bói]", "terms: []"), ":signals[0].terms: List should have at least 1 item"),
        (
            ("terms: [xem bói]", "terms: [xem bói, {term: giải hạn, weight: 3}]"),
            ":signals[0].terms[1]",
        ),
    ],
)
def test_errors_name_file_field_and_fix(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    errs = errors_of(path)
    assert any(e.startswith(str(path)) and expected in e for e in errs), errs
    assert all("; " in e for e in errs), errs  # every message carries a fix


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "signals: [unclosed\n")
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:line ") and "fix the YAML syntax" in err


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("type: lexicon", "type: nope").replace(
        "require: topic and commerce", "require: topic and ghost"
    )
    assert len(errors_of(write(tmp_path, text))) == 2


def test_bad_regex_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace("name: vn_phone}", "name: mine, regex: '(unclosed'}")
    (err,) = errors_of(write(tmp_path, text))
    assert "signals[1]" in err and "does not compile" in err


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    write(a, GOOD)
    write(b, GOOD)
    with pytest.raises(PolicyError) as exc:
        load_packs([a, b])
    assert "is also used by" in str(exc.value)


def test_file_name_must_match_id(tmp_path: Path) -> None:
    (err,) = errors_of(write(tmp_path, GOOD, "other.yaml"))
    assert ":id: the id 'demo_pack' differs from the file name 'other'" in err


@pytest.mark.parametrize(
    ("expr", "scores", "value"),
    [
        ("a and b", {"a": 0.7, "b": 0.6}, 0.6),
        ("a or b", {"a": 0.7, "b": 0.2}, 0.7),
        ("a and not b", {"a": 0.7, "b": 0.6}, 0.4),
        ("(a or b) and not (c and d)", {"a": 0.9, "c": 0.8, "d": 0.3}, 0.7),
        ("not not a", {"a": 0.25}, 0.25),
        ("a and b", {"a": 0.9}, 0.0),
    ],
)
def test_require_fuzzy_logic(expr: str, scores: dict, value: float) -> None:
    tree = parse_require(expr)
    assert eval_expr(tree, scores) == pytest.approx(value)
    compiled, upper = compile_expr(tree)
    assert compiled(scores, frozenset()) == pytest.approx(value)
    # With no group left open, the upper bound is the value; opening every group can only raise
    # the positive side and lower the negated side.
    assert upper(scores, frozenset()) == pytest.approx(value)
    assert upper(scores, frozenset("abcd")) >= 0.0


def _bound(e, s: dict, o: frozenset, upper: bool) -> float:
    # the plain reading of a compiled expression: and = min, or = max, not = 1 - x; with `upper`,
    # an open group may still rise to 1 (and under `not`, the bound flips)
    if e[0] == "group":
        return 1.0 if upper and e[1] in o else s.get(e[1], 0.0)
    if e[0] == "not":
        return 1.0 - _bound(e[1], s, o, not upper)
    a, b = _bound(e[1], s, o, upper), _bound(e[2], s, o, upper)
    return min(a, b) if e[0] == "and" else max(a, b)


def test_compiled_require_equals_its_plain_reading_on_the_shipped_packs() -> None:
    # compile_expr writes min/max out and skips a side that cannot change the result; on every
    # shipped pack's `require` and its negation, random scores (many of them 0 or 1) and random open
    # groups, value and upper bound must equal min/max exactly
    import random

    from trustwatch.policy import expr_groups

    rng = random.Random(5)
    for p in load_packs():
        groups = sorted(expr_groups(p.require))
        for expr in (p.require, ("not", p.require)):  # the engine compiles both (bound and lower bound)
            value, upper = compile_expr(expr)
            for _ in range(2000):
                s = {g: rng.choice((0.0, 1.0, rng.random(), rng.random())) for g in groups if rng.random() < 0.6}
                o = frozenset(g for g in groups if rng.random() < 0.3)
                assert value(s, frozenset()) == _bound(expr, s, frozenset(), False), (p.id, s)
                assert value(s, o) == _bound(expr, s, o, False), (p.id, s, o)
                assert upper(s, o) == _bound(expr, s, o, True), (p.id, s, o)


def test_shipped_packs_load_and_cover_the_four_categories() -> None:
    packs = {p.id: p for p in load_packs()}
    assert {"superstition_service", "scam", "undisclosed_ad", "gambling"} <= set(packs)
    for p in packs.values():
        assert p.pack.criterion.strip() and p.pack.criterion_vi
        assert p.pack.dsa.category.startswith("STATEMENT_CATEGORY_")


# --- `extends`: a pack built on another instead of a copy of it ---------------------------------

CHILD = """
extends: base/demo_pack.yaml
drop_groups: [commerce]
add_signals:
  - {type: lexicon, group: money, terms: [chuyển khoản]}
require: topic and money
"""


def test_a_pack_extends_another_and_tracks_its_changes(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    base = write(tmp_path / "base", GOOD)
    child = write(tmp_path, CHILD)
    lp = load_pack(child)
    assert lp.id == "demo_pack" and lp.pack.title == "Demo"  # the fields it does not give are the base's
    assert [(s.group, s.type) for s in lp.signals] == [("topic", "lexicon"), ("money", "lexicon")]
    assert lp.pack.require == "topic and money"
    d = Detector([lp])
    assert d.detect_text("Xem bói online, chuyển khoản trước nhé")["flagged"]
    assert not d.detect_text("Xem bói online, gọi 0912 345 678")["flagged"]  # commerce was dropped
    # An edit to the base reaches the extending pack, and changes its fingerprint.
    before = lp.sha256
    base.write_text(GOOD.replace("terms: [xem bói]", "terms: [xem bói, xem tướng]"), encoding="utf-8")
    lp2 = load_pack(child)
    assert lp2.signals[0].terms == ["xem bói", "xem tướng"] and lp2.sha256 != before


@pytest.mark.parametrize(
    ("child", "expected"),
    [
        ("extends: nowhere.yaml\nrequire: topic", "demo_pack.yaml:extends: the base pack nowhere.yaml does not exist"),
        ("extends: base/demo_pack.yaml\ndrop_groups: [nope]", "demo_pack.yaml:drop_groups: group(s) ['nope'] are not in the base pack"),
        ("extends: base/demo_pack.yaml\ndrop_groups: [topic]\nsignals: [{type: lexicon, group: topic, terms: [a]}]",
         "demo_pack.yaml:signals: a pack that gives its own `signals` replaces the base's"),
        ("extends: base/demo_pack.yaml\ndrop_groups: [commerce]", "demo_pack.yaml:require: unknown group(s) ['commerce']"),
        ("extends: base/demo_pack.yaml\nseverity: extreme", "demo_pack.yaml:severity: Input should be"),
        ("extends: [1, 2]", "demo_pack.yaml:extends: write the base pack's file path"),
    ],
)
def test_extends_errors_name_the_file_and_field(tmp_path: Path, child: str, expected: str) -> None:
    (tmp_path / "base").mkdir()
    write(tmp_path / "base", GOOD)
    errors = errors_of(write(tmp_path, child))
    assert any(expected in e for e in errors), errors


def test_a_bad_signal_is_named_where_it_was_written(tmp_path: Path) -> None:
    # A merged pack's signals are the base's kept ones then `add_signals`: an error names the
    # extending file's `add_signals[j]`, or the base file's own `signals[j]`, not the merged index.
    (tmp_path / "base").mkdir()
    base = write(tmp_path / "base", GOOD.replace("  - {type: pattern, group: commerce, name: vn_phone}",
                                                 "  - {type: pattern, group: commerce, name: vn_phone}\n"
                                                 "  - {type: lexicon, group: extra, terms: [a], weight: 7}"))
    child = CHILD.replace("terms: [chuyển khoản]}", "terms: [chuyển khoản]}\n  - {type: nope, group: money}\n"
                          "  - {type: lexicon, group: money, terms: []}")
    errors = errors_of(write(tmp_path, child))
    assert any(e.startswith(f"{base}:signals[2].weight: ") for e in errors), errors
    base.write_text(GOOD, encoding="utf-8")
    errors = errors_of(tmp_path / "demo_pack.yaml")
    assert any(e.startswith(f"{tmp_path / 'demo_pack.yaml'}:add_signals[1].type: unknown signal type 'nope'") for e in errors), errors
    assert any(e.startswith(f"{tmp_path / 'demo_pack.yaml'}:add_signals[2].terms: ") for e in errors), errors
    assert not any("signals[3]" in e or "signals[4]" in e for e in errors), errors


def test_errors_through_two_levels_of_extends_and_a_base_without_a_signal_list(tmp_path: Path) -> None:
    (tmp_path / "g").mkdir()
    (tmp_path / "m").mkdir()
    gp = write(tmp_path / "g", GOOD.replace("  - {type: pattern, group: commerce, name: vn_phone}",
                                            "  - {type: pattern, group: commerce, name: vn_phone}\n"
                                            "  - {type: lexicon, group: extra, terms: [a], weight: 7}"), "gp.yaml")
    mid = write(tmp_path / "m", "extends: ../g/gp.yaml\ndrop_groups: [commerce]\nadd_signals:\n"
                "  - {type: lexicon, group: topic, terms: [b], weight: 5}\nrequire: topic\n", "mid.yaml")
    child = write(tmp_path, "extends: m/mid.yaml\nadd_signals:\n  - {type: lexicon, group: topic, terms: [c], weight: 9}\n",
                  "child.yaml")
    errors = errors_of(child)
    assert [e.split(": ")[0] for e in errors] == [f"{gp}:signals[2].weight", f"{mid}:add_signals[0].weight",
                                                  f"{child}:add_signals[0].weight"], errors
    # A base whose `signals` is a mapping (a forgotten `-`) is a one-line error, not a crash.
    write(tmp_path, "signals:\n  a: 1\n  b: 2\n", "bad.yaml")
    errors = errors_of(write(tmp_path, "extends: bad.yaml\n", "c2.yaml"))
    assert errors == [f"{tmp_path / 'bad.yaml'}:signals: write a list of signals (`- type: ...` lines)"], errors


def test_an_extends_cycle_is_an_error_not_a_hang(tmp_path: Path) -> None:
    write(tmp_path, "extends: b.yaml\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\n", "b.yaml")
    errors = errors_of(tmp_path / "a.yaml")
    assert "a cycle" in errors[0] and errors[0].startswith(str(tmp_path / "b.yaml") + ":extends:")


def test_the_learned_edition_is_the_default_packs_plus_classifiers() -> None:
    # packs/learned/ extends the default packs: same terms and patterns, no topic hint, all four
    # classifiers asked without it.
    default = {p.id: p for p in load_packs()}
    learned = {p.id: p for p in load_packs(["learned"])}
    assert set(default) == set(learned)
    for pid, lp in learned.items():
        dp = default[pid]
        kept = [s for s in dp.signals if s.group != "hint"]
        assert [s for s in lp.signals if s.type != "classifier"] == [s for s in kept if s.type != "classifier"]
        assert [s.model for s in lp.signals if s.type == "classifier"] == [pid]
        assert lp.pack.gates == [] and "hint" not in lp.pack.require and "learned" in lp.pack.require
        assert lp.pack.criterion == dp.pack.criterion and lp.pack.examples == dp.pack.examples


def test_a_gate_under_not_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace("require: topic and commerce", "require: topic and not commerce\ngates: [commerce]")
    errors = errors_of(write(tmp_path, text))
    assert any("demo_pack.yaml:gates: group(s) ['commerce'] appear in `require` only under `not`" in e for e in errors), errors


def test_policy_check_shows_gates_and_bases() -> None:
    from helpers import run_cli

    out = run_cli("policy", "check", "learned")
    assert out.returncode == 0, out.stderr
    assert "learned/scam.yaml (extends ../scam.yaml): scam v1" in out.stdout and "gates" not in out.stdout
    out = run_cli("policy", "check", "default")
    assert out.returncode == 0, out.stderr
    scam = next(line for line in out.stdout.splitlines() if "/scam.yaml:" in line)
    assert scam.endswith("gates: hint") and "extends" not in scam
