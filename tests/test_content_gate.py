"""The classifier's content gate, through the real `trustwatch scan` and the shipped packs.

Three seed classifiers are part of the default packs, asked only for a text with a topic word of
their category (the `hint` group); the `learned` edition asks all four without the hint. A text
with fewer than `min_content_words`
topic-bearing words (contact, payment, call-to-action and filler words set aside) is not shown to
them. These lines once scored above 0.5 for superstition_service or scam and carry the packs'
commerce evidence: without the gate they are flagged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import load_jsonl, run_cli, write_jsonl
from trustwatch.detect import Detector
from trustwatch.detect.content_gate import content_words
from trustwatch.normalize import normalize
from trustwatch.policy import PolicyError, load_pack, load_packs

# Contact, payment and call-to-action lines with nothing said about what is offered: Vietnamese
# with and without diacritics, teencode, English. The first five are the ones that were flagged.
BARE = [
    "ib zalo 0912 345 678",
    "Liên hệ zalo 0912 345 678 để được tư vấn",
    "Ai cần thì alo 0977.888.999 nha",
    "Thông tin chi tiết vui lòng gọi 0283 999 888",
    "DM me for more info",
    "lien he zalo 0912345678 de duoc tu van nhe",
    "ai can thi alo 0977888999 nha",
    "thong tin chi tiet vui long goi 0283 999 888",
    "Inbox mình để biết thêm chi tiết nhé",
    "ib minh de biet them chi tiet nhe",
    "Ai cần ib mình nha",
    "Mọi người ơi ib mình nhé",
    "Mọi thắc mắc xin liên hệ hotline 1900 1234",
    "Chuyển khoản trước, stk 0123456789 Vietcombank",
    "ck trước rồi mình gửi nha",
    "Zalo: 0909 123 456 (gọi hoặc nhắn tin đều được)",
    "Ai quan tâm ib em nha 😍",
    "inbox zalo 0901234567 ạ",
    "Liên hệ số 0988 777 666 (zalo) để được hỗ trợ nhé",
    "Cần tư vấn thêm cứ nhắn tin cho shop nha",
    "LH 0912.345.678 (Zalo/Viber) - hỗ trợ 24/7",
    "Đặt lịch qua zalo nhé mọi người",
    "Để lại sđt em gọi lại tư vấn miễn phí ạ",
    "Giá 250k, ck trước, ib zalo 0912 345 678 nha",
    "Thanh toán qua Momo 0912 345 678 nhé",
    "Text me at 555-123-4567 for details",
    "Call or WhatsApp +1 202 555 0147 for more information",
    "Check the link in my bio 👉 bit.ly/abc123",
    "Contact us on Telegram @support_team for any questions",
    "email me at info@example.com for prices",
    "Need more info? Drop me a message on WhatsApp",
    "PM for price",
]
# Paid fortune-telling offers worded without a single term of the superstition_service lexicon
# (checked below against the packs without their classifier).
PARAPHRASES = [
    ("Cô có khả năng nhìn thấu kiếp trước của bạn, biết vì sao đường tình cứ lận đận và cách để người "
    "thương quay về. Mỗi lần 250k, nhắn zalo 0912 345 678 nha"),
    ("Chỉ cần gửi ngày tháng năm sinh, cô sẽ nói cho bạn biết năm nay làm ăn có khá lên không, tháng "
    "nào cần tránh đi xa. Lễ 300k, ck trước qua stk 0123456789."),
]
SHIPPED = Path(__file__).resolve().parents[1] / "src" / "trustwatch" / "packs" / "learned"  # the classifier edition


def _scan(tmp_path: Path, texts: list[str], *policy: str) -> tuple[list[dict], dict]:
    posts = write_jsonl(tmp_path / "posts.jsonl", [{"id": f"g:{i}", "platform": "facebook", "text": t} for i, t in enumerate(texts)])
    out, db = tmp_path / "results.jsonl", tmp_path / "tw.db"
    extra = [a for p in policy for a in ("--policy", p)]
    proc = run_cli("scan", str(posts), "--out", str(out), "--db", str(db), *extra)
    assert proc.returncode == 0, proc.stderr
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        summary = conn.execute(text("select summary from scan_runs order by id desc limit 1")).scalar_one()
    engine.dispose()
    return load_jsonl(out), summary if isinstance(summary, dict) else json.loads(summary)


def _ungated_packs(folder: Path) -> Path:
    """The learned edition with the gate turned off (`min_content_words: 0`): the shipped layout
    (default packs, and the learned ones that extend them) copied and edited."""
    (folder / "learned").mkdir(parents=True)
    for f in [*SHIPPED.parent.glob("*.yaml"), *SHIPPED.glob("*.yaml")]:
        text = f.read_text(encoding="utf-8").replace("min_content_words: 3}", "min_content_words: 0}")
        (folder / f.relative_to(SHIPPED.parent)).write_text(text, encoding="utf-8")
    gates = [s.min_content_words for p in load_packs([folder / "learned"]) for s in p.signals if s.type == "classifier"]
    assert gates == [0, 0, 0, 0]
    return folder / "learned"


@pytest.mark.parametrize("policy", [(), ("learned",)])
def test_bare_contact_lines_are_not_flagged_and_never_reach_the_classifier(tmp_path: Path, policy: tuple[str, ...]) -> None:
    results, summary = _scan(tmp_path, BARE, *policy)
    assert len(results) == len(BARE) and all(r["status"] == "ok" for r in results)
    flagged = [(BARE[int(r["post_id"][2:])], r["categories"]) for r in results if r["flagged"]]
    assert not flagged
    # Below the gate no classifier is asked at all.
    assert summary.get("stages", {}).get("classifier", {"posts": 0})["posts"] == 0


def test_without_the_gate_the_same_lines_are_flagged(tmp_path: Path) -> None:
    # min_content_words: 0 turns the gate off; the classifiers then flag the lines the gate keeps out.
    results, summary = _scan(tmp_path, BARE, str(_ungated_packs(tmp_path / "ungated")))
    flagged = {BARE[int(r["post_id"][2:])] for r in results if r["flagged"]}
    # Which bare lines an ungated classifier flags depends on its training data (the 2026-11-27
    # retraining with the read blind sets stopped flagging "Ai cần thì alo …"); that some are is the point.
    assert "ib zalo 0912 345 678" in flagged and len(flagged) >= 2, flagged
    for r in results:  # each of them by its classifier
        assert not r["flagged"] or any(f["signal"] == "classifier" for f in r["findings"]), r
    assert summary["stages"]["classifier"]["posts"] >= 10


def test_a_paraphrased_paid_reading_is_flagged_by_the_default_packs(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from lexicon_only import write_lexicon_only_packs

    lex = Detector(load_packs([write_lexicon_only_packs(tmp_path / "lexonly")]))
    for text in PARAPHRASES:  # no lexicon term: the packs without their classifier miss it
        assert not lex.detect_text(text)["flagged"], text
    for policy in ((), ("learned",)):  # the default packs (classifier behind its topic hint) and the learned edition
        folder = tmp_path / (policy[0] if policy else "default")
        folder.mkdir()
        results, summary = _scan(folder, PARAPHRASES, *policy)
        for r in results:
            assert r["categories"]["superstition_service"], (policy, r)
            learned = [f for f in r["findings"] if f["signal"] == "classifier"]
            assert learned and all(f["category"] == "superstition_service" for f in learned)
            assert any(f["signal"] == "pattern" for f in r["findings"])  # the price or phone still had to be there
        assert summary["stages"]["classifier"]["posts"] == len(PARAPHRASES)


# Ordinary sales and rentals: a price and a phone number (the commerce evidence every seed pack
# asks for) but not one topic word of any category. And paid readings worded without a topic word.
ORDINARY_SALES = [
    "Quán phở mới mở ở quận 3, giá 45k một tô, ai ghé thì gọi 0912 345 678 đặt bàn nha",
    "Cho thuê phòng trọ gần chợ, 2tr5/tháng, liên hệ zalo 0909 123 456",
    "Selling my old bike, $120, text 555-123-4567 if interested",
    # words that fold to a topic word of the first hint lists: `xem ngay` = `xem ngày`,
    # `khuyến mãi` (any shop), `là bữa` = `lá bùa`, `đánh bại` = `đánh bài`
    "Mẫu mới về, xem ngay! Giá 199k, ib zalo 0912 345 678",
    "Son môi chính hãng, xem ngay bảng màu ở ảnh. 280k, ship COD, gọi 0912 345 678",
    "Cá tươi mỗi ngày, cá lóc 90k/kg, khuyến mãi hôm nay, đặt qua zalo 0912 345 678",
    "Hôm nay là bữa tiệc sinh nhật của quán, đặt bàn 0912 345 678, giảm 20%",
    "Việt Nam đánh bại Thái Lan 2-1, vé xem trận tới 300k, gọi 0912 345 678",
    # and of words bench/hint_collisions.py found colliding in real reviews and comments:
    # `chất lượng cao` = `lương cao`, `còn gì` = `con gì`, `sợ thế` = `số thẻ`
    "Áo khoác chất lượng cao, giá 350k, còn gì thắc mắc cứ ib zalo 0912 345 678",
    "Hàng về ít lắm, sợ thế nào cũng hết, 120k một hộp, gọi 0912 345 678",
]
NO_TOPIC_WORD = [
    "Nhà làm ăn mãi không lên, có thể do đất có vong. Thầy về tận nơi xử lý, trọn gói 5 triệu, gọi 0909 456 789.",
    "Con bệnh mãi không khỏi, đi viện không ra bệnh? Thầy chữa bằng phép, đã giúp trăm người. Zalo 0868 345 678.",
]


def test_the_topic_hint_keeps_ordinary_posts_from_the_classifier(tmp_path: Path) -> None:
    (tmp_path / "default").mkdir()
    results, summary = _scan(tmp_path / "default", ORDINARY_SALES + NO_TOPIC_WORD)
    assert not any(r["flagged"] for r in results)
    assert summary.get("stages", {}).get("classifier", {"posts": 0})["posts"] == 0  # no topic word, no classifier
    # The learned edition asks its classifiers without the hint: it pays for every one of these
    # posts and catches the paid readings that name no topic word. It also flags three of the shop
    # posts (`xem ngay`, `khuyến mãi`: its classifiers misfire there), one more reason the default
    # packs keep the hint.
    texts = ORDINARY_SALES + NO_TOPIC_WORD
    results, summary = _scan(tmp_path, texts, "learned")
    flagged = {texts[int(r["post_id"][2:])] for r in results if r["flagged"]}
    assert set(NO_TOPIC_WORD) <= flagged and not flagged & set(ORDINARY_SALES[:3])
    assert summary["stages"]["classifier"]["posts"] == len(texts)


def test_default_packs_ask_three_classifiers_behind_a_hint_and_learned_adds_the_fourth(tmp_path: Path) -> None:
    def classifiers(packs: list) -> dict[str, str]:
        return {p.id: p.pack.require for p in packs for s in p.signals if getattr(s, "type", "") == "classifier"}

    default = classifiers(load_packs())
    assert set(default) == {"scam", "gambling", "superstition_service"}
    assert all("(learned and hint)" in req for req in default.values())
    assert {p.id: p.pack.gates for p in load_packs() if p.id in default} == {key: ["hint"] for key in default}
    learned = classifiers(load_packs(["learned"]))
    assert set(learned) == {*default, "undisclosed_ad"}
    assert not any("hint" in req for req in learned.values())
    results, _ = _scan(tmp_path, [*BARE[:3], PARAPHRASES[1]], "learned")
    assert [r["flagged"] for r in results] == [False, False, False, True]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Liên hệ zalo 0912 345 678 để được tư vấn", 0),
        ("lien he zalo 0912345678 de duoc tu van", 0),  # the same without diacritics
        ("Need more info? Drop me a message", 1),  # `need`, `message` fold to `ned`, `mesage`: still filler
        ("https://bit.ly/xem-boi-online @thayboi.vn info@tuvi.com", 0),  # addresses and handles
        ("vận hạn vận hạn vận hạn", 2),  # a word repeated is one word; `vận` is not `tư vấn`
        ("tư vấn vận hạn", 2),  # `tư vấn` is a filler pair, `vận` alone is not
        ("Xem bói tình duyên chuẩn", 5),
        ("300k 2tr5 0912345678 24/7", 0),  # numbers and prices
    ],
)
def test_content_words_are_counted_on_the_folded_view(text: str, words: int) -> None:
    assert content_words(normalize(text), 10) == words
    assert content_words(normalize(text), 2) == min(words, 2)  # counting stops at the gate
    assert content_words(normalize(text), 0) == 0


def test_min_content_words_is_validated(tmp_path: Path) -> None:
    text = (SHIPPED.parent / "superstition_service.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "superstition_service.yaml"
    bad.write_text(text.replace("min_content_words: 3}", "min_content_words: -1}"), encoding="utf-8")
    with pytest.raises(PolicyError, match=re.escape("min_content_words")):
        load_pack(bad)


def test_the_hint_is_a_gate_never_evidence(tmp_path: Path) -> None:
    d = Detector(load_packs())
    res = d.detect_text(PARAPHRASES[1])  # "năm sinh" is a superstition_service topic word
    assert res["categories"]["superstition_service"]
    assert any(f["signal"] == "classifier" for f in res["findings"])
    assert not any("group “hint”" in f["explanation"] for f in res["findings"])
    # Without the gates line, the topic word is listed as evidence like any other term.
    text = (Path(__file__).resolve().parents[1] / "src" / "trustwatch" / "packs" / "superstition_service.yaml").read_text(encoding="utf-8")
    assert "\ngates: [hint]" in text
    (tmp_path / "superstition_service.yaml").write_text(text.replace("\ngates: [hint]", "\ngates: []"), encoding="utf-8")
    res = Detector(load_packs([tmp_path / "superstition_service.yaml"])).detect_text(PARAPHRASES[1])
    assert any("group “hint”" in f["explanation"] and f["excerpt"] == "năm sinh" for f in res["findings"])
    # A gate must be a group that `require` names.
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "superstition_service.yaml").write_text(text.replace("\ngates: [hint]", "\ngates: [topic, nope]"), encoding="utf-8")
    with pytest.raises(PolicyError, match=re.escape("gates: group(s) ['nope'] are not in `require`")):
        load_pack(tmp_path / "bad" / "superstition_service.yaml")
