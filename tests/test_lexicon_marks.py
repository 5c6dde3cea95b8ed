"""A lexicon term written with Vietnamese marks matches its own word, written with those marks or
with none, and not a different word that only folds to the same letters (`detect/lexicon.py`)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from trustwatch.detect import Detector
from trustwatch.detect.lexicon import MarkedTerm
from trustwatch.policy import load_pack

PACK = """
id: marks
title: Marks
criterion: Test pack.
severity: low
action: label
dsa: {category: STATEMENT_CATEGORY_OTHER}
signals:
  - type: lexicon
    group: topic
    terms: [đã mua, còn gì, hòa giải, giải hạn, mình, ko mua, link bio, bưu kiện, cẩn thận nhé, cẩn thận nhe, áp thêm mã]
require: topic
threshold: 0.5
"""


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> Detector:
    path: Path = tmp_path_factory.mktemp("marks") / "marks.yaml"
    path.write_text(PACK, encoding="utf-8")
    return Detector([load_pack(path)])


def _matched(detector: Detector, text: str) -> list[str]:
    return [f["excerpt"] for f in detector.detect_text(text)["findings"]]


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("hôm qua mình đã mua rồi", "đã mua"),  # as written
        ("ĐÃ MUA RỒI NHA", "ĐÃ MUA"),  # any case
        (unicodedata.normalize("NFD", "hôm qua đã mua rồi"), unicodedata.normalize("NFD", "đã mua")),  # decomposed input
        ("minh da mua roi nha", "da mua"),  # typed without diacritics
        ("bên kia da mua xong", "da mua"),  # unmarked inside a marked text: the writer typed it so
        ("hai bên đã hoà giải", "hoà giải"),  # the older tone placement is the same word
        ("hai bên đã hòa giải", "hòa giải"),
        ("xem #giaihan nhé", "giaihan"),  # a hashtag the normalizer splits back into the term
        ("còn j nữa đâu", "còn j"),  # teencode the normalizer undoes
        ("đã mùa đông rồi, đã mua áo chưa", "đã mua"),  # the real occurrence beside a collision
        ("con gì cũng được, còn j nữa đâu", "còn j"),  # a rewritten occurrence beside a collision
        ("giải hận thôi, nhớ #giaihan nha", "giaihan"),
        ("Bưu\nkiện của bạn đang bị giữ, bú kiện gì đâu", "Bưu\nkiện"),  # a term whose fold merges letters
        ("da mùa này khô quá, mình đã muaaa kem rồi", "đã muaaa"),  # stretched letters the normalizer undoes
        ("lúc đặt app thêm mã giảm giá", "app thêm mã"),  # `app`: `áp` typed without marks, letter doubled
        ("mọi người cẩn thận nhe", "cẩn thận nhe"),  # two spellings of one term in one list: both count
        ("mọi người cẩn thận nhé", "cẩn thận nhé"),
    ],
)
def test_a_marked_term_matches_its_own_word(detector: Detector, text: str, excerpt: str) -> None:
    assert excerpt in _matched(detector, text)


@pytest.mark.parametrize(
    ("text", "collision"),
    [
        ("routine dưỡng da mùa đông của mình", "da mùa"),  # `da mùa` folds like `đã mua`
        ("con gì về hôm nay vậy", "con gì"),  # `con gì` is not `còn gì`
        ("giải hận cho xong", "giải hận"),  # one syllable marked otherwise is enough to be another word
        ("hóa giải được không", "hóa giải"),  # `hóa` is not `hòa`
        ("mình đa mua", "đa mua"),  # partly marked otherwise
        ("da mùa này khô quá, mình đã muaaa kem rồi", "da mùa"),  # judged where it stands, not per text
        ("giải hận đi, rồi giải hạnh phúc cho nhau", "giải hận"),  # `giải hạnh` holds no `giải hạn`
        ("con gì vậy, còn gìn giữ", "con gì"),
    ],
)
def test_a_marked_term_does_not_match_another_word_that_folds_alike(detector: Detector, text: str, collision: str) -> None:
    hits = [unicodedata.normalize("NFC", h).lower() for h in _matched(detector, text)]
    assert collision not in hits, hits


def test_terms_without_marks_and_teencode_terms_match_every_marking(detector: Detector, tmp_path: Path) -> None:
    # `link bio` is written without marks: it matches whatever marks a text puts on it. `ko mua`
    # folds to `khong mua` (teencode), so its letters cannot be compared: it matches as before.
    assert MarkedTerm.of(["link bio"]) is None and MarkedTerm.of(["ko mua"]) is None
    assert _matched(detector, "línk bíô") == ["línk bíô"]
    assert _matched(detector, "không mua đâu") == ["không mua"]
    # A signal that also lists the term without marks (`da mua`) matches every marking of it.
    both = tmp_path / "both.yaml"
    both.write_text(PACK.replace("id: marks", "id: both").replace(
        "terms: [đã mua, còn gì,", "terms: [{term: đã mua, weight: 0.9}, {term: da mua, weight: 0.6}, còn gì,"), encoding="utf-8")
    assert _matched(Detector([load_pack(both)]), "routine da mùa") == ["da mùa"]


def test_the_rule_changes_only_which_terms_count(detector: Detector) -> None:
    # Scores are computed from the terms that count: a text whose only match is a collision is not
    # flagged; the same text written with the term is.
    assert not detector.detect_text("da mùa khô quá")["flagged"]
    assert detector.detect_text("đã mua khô gà")["flagged"]


def test_many_collisions_in_one_post_are_judged_once_each(detector: Detector) -> None:
    # Each place is judged once from the text's own characters: a post of a thousand collisions
    # has no match and one real occurrence among them has exactly one.
    assert not detector.detect_text("da mùa " * 1000)["flagged"]
    res = detector.detect_text("da mùa " * 1000 + "đã mua")
    assert [f["excerpt"] for f in res["findings"] if "“topic”" in f["explanation"]] == ["đã mua"]
