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
    terms: [đã mua, còn gì, hòa giải, giải hạn, mình, ko mua, link bio]
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
        ("minh da mua roi nha", "da mua"),  # typed without diacritics
        ("bên kia da mua xong", "da mua"),  # unmarked inside a marked text: the writer typed it so
        ("hai bên đã hoà giải", "hoà giải"),  # the older tone placement is the same word
        ("hai bên đã hòa giải", "hòa giải"),
        ("xem #giaihan nhé", "giaihan"),  # a hashtag the normalizer splits back into the term
        ("còn j nữa đâu", "còn j"),  # teencode the normalizer undoes
        ("đã mùa đông rồi, đã mua áo chưa", "đã mua"),  # one real occurrence is enough
    ],
)
def test_a_marked_term_matches_its_own_word(detector: Detector, text: str, excerpt: str) -> None:
    assert excerpt in _matched(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "routine dưỡng da mùa đông của mình",  # `da mùa` folds like `đã mua`
        "con gì về hôm nay vậy",  # `con gì` is not `còn gì`
        "giải hận cho xong",  # one syllable marked otherwise is enough to be another word
        "hóa giải được không",  # `hóa` is not `hòa`
        "mình đa mua",  # partly marked otherwise
    ],
)
def test_a_marked_term_does_not_match_another_word_that_folds_alike(detector: Detector, text: str) -> None:
    hits = _matched(detector, text)
    assert not any(unicodedata.normalize("NFC", h).lower() in {"da mùa", "con gì", "giải hận", "hóa giải", "đa mua"} for h in hits), hits


def test_terms_without_marks_and_teencode_terms_match_every_marking(detector: Detector) -> None:
    # `link bio` is written without marks: it matches whatever marks a text puts on it. `ko mua`
    # folds to `khong mua` (teencode), so its letters cannot be compared: it matches as before.
    assert MarkedTerm.of("link bio") is None and MarkedTerm.of("ko mua") is None
    assert _matched(detector, "línk bíô") == ["línk bíô"]
    assert _matched(detector, "không mua đâu") == ["không mua"]


def test_the_rule_changes_only_which_terms_count(detector: Detector) -> None:
    # Scores are computed from the terms that count: a text whose only match is a collision is not
    # flagged; the same text written with the term is.
    assert not detector.detect_text("da mùa khô quá")["flagged"]
    assert detector.detect_text("đã mua khô gà")["flagged"]
