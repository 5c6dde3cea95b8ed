"""Known false claims: the CSV, the keyword prefilter, cross-lingual matching and `scan --claims`."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import REPO, run_cli, write_jsonl
from trustwatch.detect import Detector
from trustwatch.detect.claims import parse_claims
from trustwatch.errors import PolicyError
from trustwatch.policy import load_packs

CLAIMS = REPO / "examples" / "claims.csv"
LEMON_VI = ("Uống nước chanh nóng mỗi sáng chữa khỏi ung thư", "https://factcheck.example.org/vi/suc-khoe/nuoc-chanh-ung-thu")
LEMON_EN = ("Drinking hot lemon water every morning cures cancer", "https://factcheck.example.org/health/lemon-water-cancer")
FIVE_G = ("Mạng 5G làm lây lan virus và gây bệnh", "https://factcheck.example.org/vi/suc-khoe/5g-virus")
ZALO = ("Zalo sẽ thu phí hàng tháng nếu bạn không chuyển tiếp tin nhắn này cho 10 người", "https://factcheck.example.org/vi/tin-don/zalo-thu-phi")
GATES = ("Bill Gates is giving away 5000 dollars to everyone who shares this post", "https://factcheck.example.org/hoax/bill-gates-giveaway")
PAPAYA = ("Lá đu đủ đực sắc uống chữa khỏi ung thư giai đoạn cuối", "https://factcheck.example.org/vi/suc-khoe/la-du-du-ung-thu")
MONEY = ("Ngân hàng Nhà nước sẽ đổi tiền mới và tiền cũ hết giá trị từ tháng sau", "https://factcheck.example.org/vi/tin-don/doi-tien")

RESTATEMENTS = [
    # same language, paraphrased
    ("A glass of warm lemon water each morning will kill cancer cells, doctors don't want you to know", LEMON_EN),
    ("Từ tháng sau Zalo bắt đầu tính phí, chuyển tin này cho 10 người bạn để được miễn phí", ZALO),
    ("Tin nóng: tháng sau nhà nước đổi tiền, tiền cũ sẽ không còn giá trị, rút tiền ngay", MONEY),
    # the other language
    ("Mỗi sáng uống một ly nước chanh ấm là khỏi bệnh ung thư, bác sĩ giấu điều này", LEMON_VI),
    ("5G towers are spreading the virus and making people sick", FIVE_G),
    ("Bill Gates tặng 5000 đô cho mỗi người chia sẻ bài này, share ngay kẻo lỡ", GATES),
    ("Boiled male papaya leaves cure stage 4 cancer, my aunt was healed", PAPAYA),
]
SAME_TOPIC = [
    "Nước chanh nóng mỗi sáng giúp mình tỉnh táo và ngon miệng hơn",
    "I love a hot lemon tea in the morning, so refreshing",
    "Mẹ mình đang điều trị ung thư ở bệnh viện K, mỗi sáng mình pha cho mẹ cốc nước chanh cho dễ uống",
    "My dad is in chemo for his cancer; I make him lemon water because it helps with the nausea",
    "Bộ Y tế khẳng định nước chanh không chữa được ung thư, người bệnh cần điều trị đúng phác đồ",
    "Zalo ra gói thu phí Zalo Pro cho doanh nghiệp với nhiều tính năng mới",
    "Viettel phủ sóng 5G tại Hà Nội, tốc độ tải lên tới 1Gbps, virus máy tính thì vẫn phải cẩn thận",
    "Vietnam Airlines mở bán vé máy bay Tết, miễn phí hành lý 20kg",
    "Bill Gates visited a vaccine factory in India this week and shared photos",
    "Trứng gà luộc là món ăn sáng nhanh gọn giúp trẻ tăng chiều cao nhờ nhiều đạm",
]


pytestmark = pytest.mark.usefixtures("embedder")  # conftest: one embedder, its cache in a temporary file


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_packs([CLAIMS]))


@pytest.mark.parametrize(("text", "claim"), RESTATEMENTS)
def test_restatement_is_matched_with_its_claim_verdict_and_source(detector: Detector, text: str, claim: tuple[str, str]) -> None:
    result = detector.detect_text(text)
    assert result["categories"]["known_false_claim"], result
    (finding,) = result["findings"]
    assert finding["category"] == "known_false_claim" and finding["signal"] == "claims"
    assert finding["claim"]["text"] == claim[0]
    assert finding["claim"]["source_url"] == claim[1]
    assert finding["claim"]["verdict"] == "false"
    assert finding["excerpt"] == text
    assert claim[0] in finding["explanation"] and claim[1] in finding["explanation"]


@pytest.mark.parametrize("text", SAME_TOPIC)
def test_posts_on_the_same_topic_are_not_matched(detector: Detector, text: str) -> None:
    assert not detector.detect_text(text)["flagged"]


def test_a_verdict_other_than_false_is_reported_and_true_claims_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "claim,verdict,source_url,language,keywords\n"
        "Uống nước ấm mỗi 15 phút giúp diệt virus trong cổ họng,mostly false,https://fc.example/a,vi,nước ấm|warm water ; virus ; diệt|kill|kills\n"
        "Rửa tay bằng xà phòng giúp loại bỏ vi khuẩn,true,https://fc.example/b,vi,\n",
        encoding="utf-8",
    )
    claims, problems = parse_claims(str(path))
    assert [c.verdict for c in claims] == ["mostly false"] and problems == []
    result = Detector(load_packs([path])).detect_text("Drinking warm water every 15 minutes kills the virus in your throat")
    assert result["findings"][0]["claim"]["verdict"] == "mostly false"


def test_bad_rows_are_skipped_with_one_sentence_each(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "claim,verdict,source_url,language\n"
        "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư,false,https://fc.example/lemon,vi\n"
        ",false,https://fc.example/empty,vi\n"
        "Some claim,false,not a url,en\n"
        "Một tin đồn,false,https://fc.example/x,fr\n"
        "Tin đồn khác,,https://fc.example/y,vi\n"
        "too,many,fields,en,here,and,here\n",
        encoding="utf-8",
    )
    claims, problems = parse_claims(str(path))
    assert [c.line for c in claims] == [2]
    assert problems == [
        f"{path} line 3: the claim text is empty, so the row was skipped.",
        f"{path} line 4: the source URL 'not a url' is not an http(s) address, so the row was skipped.",
        f"{path} line 5: the language 'fr' is not one of ['vi', 'en'], so the row was skipped.",
        f"{path} line 6: the verdict is empty (write e.g. false), so the row was skipped.",
        f"{path} line 7: the row has 7 fields where the header has 4, so it was skipped; quote fields that contain commas.",
    ]
    # The good row still works, here without keywords (its own content words prefilter it).
    result = Detector(load_packs([path])).detect_text("Mỗi sáng uống nước chanh nóng là chữa khỏi ung thư đấy")
    assert result["findings"][0]["claim"]["source_url"] == "https://fc.example/lemon"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        ("claim,verdict\nx,false\n", "has no column(s) ['source_url', 'language']"),
        ("", "is empty"),
        ("claim,verdict,source_url,language\n,false,https://x.example/a,vi\n", "has no usable false claim"),
    ],
)
def test_unusable_claims_file_is_a_policy_error(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "claims.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyError) as exc:
        load_packs([path])
    (line,) = exc.value.errors
    assert line.startswith(f"{path}:signals[0].file: ") and expected in line


def test_scan_with_claims_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTWATCH_EMBED_CACHE", str(tmp_path / "cache.sqlite"))
    texts = [RESTATEMENTS[3][0], RESTATEMENTS[4][0], SAME_TOPIC[2], "Hôm nay trời đẹp quá",
             "Nhận xem bói tarot, phí 300k, inbox zalo 0912 345 678"]
    write_jsonl(tmp_path / "posts.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(texts)])
    bad = tmp_path / "claims.csv"
    bad.write_text(CLAIMS.read_text(encoding="utf-8") + "Broken row,false,ftp://nowhere,vi\n", encoding="utf-8")
    res = run_cli("scan", str(tmp_path / "posts.jsonl"), "--claims", str(bad), "--out", str(tmp_path / "r.jsonl"), "--no-store", "--workers", "2")
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("ftp://nowhere") == 1 and "so the row was skipped" in res.stderr
    import json

    results = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["categories"]["known_false_claim"] for r in results] == [True, True, False, False, False]
    assert results[4]["categories"]["superstition_service"]  # the default packs still run
    assert results[1]["findings"][0]["claim"]["text"] == FIVE_G[0]
    assert "reached claims stage" in res.stdout
    check = run_cli("claims", "check", str(bad))
    assert check.returncode == 0 and "13 false claims" in check.stdout and "ftp://nowhere" in check.stderr
    missing = run_cli("claims", "check", str(tmp_path / "none.csv"))
    assert missing.returncode == 2 and missing.stderr.strip().startswith("error: The claims file") and "Traceback" not in missing.stderr


def test_claim_inside_a_long_post_is_found_and_its_sentence_is_the_evidence(detector: Detector) -> None:
    claim_sentence = "Mỗi sáng uống một ly nước chanh ấm là khỏi bệnh ung thư, bác sĩ giấu điều này."
    text = (
        "Hôm nay trời đẹp quá, cả nhà mình về quê thăm ông bà và ăn một bữa cơm thật ngon. "
        "Chiều đi dạo quanh hồ, gió mát, chụp được mấy tấm ảnh đẹp gửi mọi người xem nhé! "
        + claim_sentence
        + " Cuối tuần này mình lại đi làm, mong mọi việc suôn sẻ."
    )
    result = detector.detect_text(text)
    (finding,) = result["findings"]
    assert finding["claim"]["text"] == LEMON_VI[0]
    assert finding["excerpt"] == claim_sentence == text[finding["start"] : finding["end"]]
