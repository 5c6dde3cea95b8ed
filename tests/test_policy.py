"""Policy packs: validation errors name the file and field and say how to fix them."""

from pathlib import Path

import pytest

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


def test_shipped_packs_load_and_cover_the_four_categories() -> None:
    packs = {p.id: p for p in load_packs()}
    assert {"superstition_service", "scam", "undisclosed_ad", "gambling"} <= set(packs)
    for p in packs.values():
        assert p.pack.criterion.strip() and p.pack.criterion_vi
        assert p.pack.dsa.category.startswith("STATEMENT_CATEGORY_")
