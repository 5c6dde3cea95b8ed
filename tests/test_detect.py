"""Detection with the shipped packs: evasive spellings are caught, news, warnings and culture are
not, evidence points at the exact characters of the original text, and the speed-ups (cascade,
regex planning) change nothing."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest

from helpers import EXAMPLES, HOLDOUT, load_jsonl
from trustwatch.detect import Detector
from trustwatch.detect.base import Document
from trustwatch.detect.registry import signal_types
from trustwatch.evaluate import evaluate
from trustwatch.normalize import normalize
from trustwatch.policy import load_pack, load_packs


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_packs())


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("X.e.m b.ó.i tarot, g.i.ả.i h.ạ.n đầu năm, ib z@lo 0912 345 678, phí 500k/lần", "superstition_service"),
        ("Nhận xem b0i, cắt duyên âm, trục vong online. Chuyển khoản trước 1.500.000đ, STK 1903 4567 8901 Techcombank", "superstition_service"),
        ("gi\u200bải h\u200bạn, bùa yêu linh nghiệm 🔮 inbox em báo giá nha, 0 9 8 7 6 5 4 3 2 1", "superstition_service"),
        ("Tarot reading and love spell removal, $49 per session, DM me on WhatsApp +1 415 555 0199", "superstition_service"),
        ("Việc nhẹ lương cao, làm nhiệm vụ like đơn hàng nhận hoa hồng 30%, nạp trước 200k, liên hệ tele @job_vip88", "scam"),
        ("Tài khoản của bạn đã bị khoá do đăng nhập bất thường. Xác minh ngay tại vcb-xacminh.top để tránh bị phong toả", "scam"),
        ("Guaranteed 30% monthly returns on crypto, zero risk. DM me on WhatsApp to start investing today", "scam"),
        ("Nhà cái uy tín K8bet nạp đầu khuyến mãi 100%, soi cầu lô đề chuẩn, đăng ký tại bit.ly/k8bet-vip", "gambling"),
        ("t4i x1u online, n.ổ h.ũ đổi thưởng, nạp 50k nhận 150k, link đăng ký ở bio", "gambling"),
        ("Serum này xài mê luôn, nhập mã SALE50 giảm 50%, link mua ngay trong bio nha mọi người", "undisclosed_ad"),
        # schemes told the other way round: the period before the gain, the stake, a fee first
        ("Tham gia nhóm góp vốn trồng sâm, hàng tuần rút về 1tr5 tiền lãi, bắt đầu từ 2 triệu, nhắn zalo 0933 118 227", "scam"),
        ("I'm stuck at the airport and my card is blocked, can you send $600 to this account? I'll pay you back tonight", "scam"),
        ("Chị chuyển nhầm 3tr vào tk em rồi, em ck lại giúp chị vào tk này nha: 0451 0009 7788 Vietcombank, chị cần gấp", "scam"),
        ("Hello from Skyline Air support: your refund of $260 is ready, please reply with your card number and the 6-digit code we sent", "scam"),
        # a creator's deal with a place to buy, in wordings the term lists do not enumerate
        ("Kem chống nắng mình xài cả mùa hè, tuýp to có 159k thôi, link sp nằm ở phần bình luận nha", "undisclosed_ad"),
        ("Bình giữ nhiệt này giữ đá tới tối luôn, 2 bình 320k, ai cần thì inbox em gửi link", "undisclosed_ad"),
        ("Mình học tiếng Nhật bằng app này được nửa năm rồi, gõ THUY30 khi đăng ký là giảm 30%, link ở hồ sơ", "undisclosed_ad"),
        # mechanisms from blind set 5's misses, in wordings of our own: a donation to a personal
        # account, an insider, an emergency, a deposit for what cannot be seen, an official who wants
        # secrecy, a code sent "by mistake", a hack tool sold for a betting game
        ("Đoàn thiện nguyện tụi mình đang quyên góp cho bà con vùng sạt lở, quỹ chung đang bị phong tỏa nên mọi người gửi vào tài khoản cá nhân của mình 0071 0003 3322 Vietcombank nhé", "scam"),
        ("Làm lại cà vẹt xe bị mất trong 2 ngày, có người trong sở lo hết, phí trọn gói 4tr, chuyển khoản trước 50% nha", "scam"),
        ("Hi, this is the school nurse, your daughter had an accident in PE class and needs surgery. Please transfer immediately $1,200 to the hospital account 4410 2231 so we can start", "scam"),
        ("Studio apartment downtown $600/month. The owner is currently abroad so I can't show the apartment, send the first month's deposit by Zelle and I'll mail the keys", "scam"),
        ("This is Inspector Lee from the financial crimes unit. Your account is part of a money laundering investigation. Move all your savings to the protected account we give you and do not tell your bank.", "scam"),
        ("hey sorry, I mistakenly typed your number for my verification code, can you forward me the 6-digit code you just got?", "scam"),
        ("Bán tool hack nổ hũ can thiệp vào server, bao ăn 100%, giá 1tr5 chuyển khoản trước gửi key", "scam"),
        # a creator's own referral link and code for a betting app is undisclosed advertising too
        ("Tối qua live quay slot trúng 9 củ 😆 ae đăng ký qua link giới thiệu của mình trong phần mô tả nhé, nhập thêm mã QUAY9 được tặng 50k", "undisclosed_ad"),
        ("this blackjack site pays out in minutes, I play there every night. sign up with my code JESS25 for a 100% match", "undisclosed_ad"),
        ("Huge win on the crash game tonight 🚀 my link in the description gets you 100 free spins and a deposit bonus", "undisclosed_ad"),
        ("Nổ hũ trúng 30 củ tối qua ae ơi 🎰 tải game ở link mô tả, nhập mã của kênh HUNGVIP được tặng 88k", "undisclosed_ad"),
        # blind set 6's mechanisms in our own words: a paid account unlock, payment in gift cards, pay
        # in and get triple back, a "backup page" with a verification fee
        ("Nhận mở khóa tài khoản Zalo bị khóa, bị hack, 100% thành công, phí 300k chuyển trước, liên hệ 0912 111 222", "scam"),
        ("Your spirit guide says the curse will spread to your children. Lifting it costs $250, pay with gift cards and send me the codes tonight.", "scam"),
        ("Góp 3tr vào quỹ, sau 20 ngày nhận về 9tr, giới thiệu bạn bè có thưởng, ib mình nhé", "scam"),
        ("Trang dự phòng của ca sĩ Minh Anh (trang chính bị khóa) tặng 30 iPhone cho fan, chỉ cần chuyển phí xác minh 99k qua momo 0903 222 111", "scam"),
        # blind set 7's mechanisms in our own words: a person who takes bets and says how wins are
        # paid, an e-wallet odd-or-even game, a seed-phrase airdrop, a vote that asks for a log-in
        ("Em nhận ghi kèo Ngoại hạng Anh qua zalo, chấp nửa trái, thắng em trả luôn trong ngày, thua ck cuối ngày", "gambling"),
        ("Chẵn lẻ momo: chuyển 20k vào ví, số cuối mã giao dịch chẵn ăn x1.9, trả thưởng trong 30 giây", "gambling"),
        ("🚀 Airdrop 300 USDT cho 500 ví đầu tiên, kết nối ví và nhập cụm từ khôi phục để nhận nhé", "scam"),
        ("Nhờ mọi người bình chọn cho bé nhà em ở cuộc thi ảnh, vào link rồi đăng nhập bằng facebook là vote được ạ: bechonanh.example/vote", "scam"),
        # a negation that rules out one kind of reading only is still an offer; a boast is not a debunking
        ("Mình không nhận xem free nha, bói bài tarot 200k/lượt, inbox Zalo 0912345678.", "superstition_service"),
        ("There is no evidence stronger than my clients' results. Book a tarot reading for $50 at https://tarot.example.com", "superstition_service"),
    ],
)
def test_harmful_posts_are_flagged(detector: Detector, text: str, category: str) -> None:
    result = detector.detect_text(text)
    assert result["categories"][category], (result["category_scores"], text)
    assert result["category_scores"][category] >= 0.5
    assert any(f["category"] == category for f in result["findings"])


@pytest.mark.parametrize(
    "text",
    [
        "Công an TP.HCM vừa bắt giữ nhóm đối tượng giả danh thầy bói, thu phí giải hạn hàng chục triệu đồng. Người dân cần cảnh giác.",
        "CẢNH BÁO: Ngân hàng không bao giờ yêu cầu khách hàng cung cấp mã OTP qua điện thoại. Hãy gọi hotline 1900 545413 nếu nghi ngờ.",
        "Rằm tháng Giêng cả nhà lên chùa thắp hương cầu an, xem như một nét đẹp văn hoá đầu năm.",
        "Tử vi vui hôm nay cho 12 cung hoàng đạo: Bạch Dương nên nghỉ ngơi, Kim Ngưu gặp may về tài lộc. Chỉ mang tính giải trí!",
        "Kết quả xổ số kiến thiết miền Bắc ngày 12/11: giải đặc biệt 84512.",
        "Bộ Công an triệt phá đường dây đánh bạc online qua trang cá độ bóng đá, tạm giữ 20 đối tượng.",
        "Mình hợp tác với nhãn hàng Glow, dùng mã GLOW20 giảm 20% nha #quangcao #hợptác",
        "Police warn of a new job scam: victims are asked to pay a fee before they can withdraw their 'commission'.",
        "Our daily horoscope is just for fun: Leo, expect a cheerful surprise today!",
        "Đội tuyển Việt Nam thắng Thái Lan 2-1 tối qua, cả nước mừng vui.",
        "Nhớ là ngân hàng không bao giờ bắt bạn đóng phí để nhận khoản vay, ai đòi cọc trước là lừa đảo.",
        "Đơn này tính luôn phí vận chuyển thì tổng chi phí vẫn rẻ hơn mua ở siêu thị.",
        # ordinary numbers and money that the scam and ad patterns must not read as offers
        "Buổi họp bắt đầu từ 8 đến 10 giờ, các thành viên 2 đội có mặt đủ, mỗi tháng có 2 lần kiểm tra.",
        "Nhà có 2 vợ chồng 5 đứa con, tháng này nộp học phí và đóng phí bảo hiểm y tế hết 6 triệu, link hóa đơn ở bình luận.",
        # a disclosed affiliate link; a shop speaking for itself; a winter skin routine without a link
        "the desk lamp I read with every night (affiliate) is linked in my bio, 20% off this week",
        "Tiệm Gốm Nhà Mây vừa ra lò bộ chén men lam, giá 420k/bộ, đặt hàng qua link ở bio hoặc ghé tiệm nhé",
        "Da mùa đông của mình khô lắm, đã mua kem dưỡng ở tiệm thuốc gần nhà, giá 120k, xài ổn.",
        # a warning that says how the genuine party behaves; a learner who takes no clients; a
        # debunking article; unmarked "mà mình" is not "mã mình"
        "Shipper thật không bao giờ bắt bạn chuyển khoản phí lưu kho qua link, gặp tin nhắn như vậy thì chặn ngay nhé 0912 345 678 là số giả đó.",
        "Em mới học tarot, hôm nay chia sẻ cách trải bài 3 lá cho mọi người tự làm ở nhà. Em chưa nhận trải bài cho ai đâu ạ, phí học khóa này 0đ, mọi người comment lá mình rút được nhé 🔮",
        "Thần số học có đáng tin không? Các nhà tâm lý nói không có cơ sở khoa học, mọi người đọc cho vui, liên hệ chuyên gia tâm lý nếu cần lời khuyên thật.",
        "Phim dau tien ma minh xem cua dao dien nay, link trailer chinh thuc o binh luan, hay that su",
        "Ai đang gặp vấn đề về mụn ib e chỉ cách hết sạch sau 2 tuần nhé 😋",
        "Cơ quan thuế không gửi link qua tin nhắn và không yêu cầu cung cấp mã OTP, người dân lưu ý kẻo mất tiền oan 5tr như nhà mình.",
        "Mẹ mình suýt bị lừa 50tr vì cuộc gọi giả công an, mọi người nhắc ông bà giùm: công an không gọi điện bắt chuyển tiền qua tài khoản đâu.",
        "Cảnh báo: các trang nhận mở khóa Facebook thu phí 500k đều là lừa đảo, đừng chuyển tiền cho họ.",
        "Ban quản lý thông báo: phí gửi xe tháng 1 thu tại văn phòng, BQL không nhận chuyển khoản qua tài khoản cá nhân nhân viên. Hotline 0283 822 1111.",
        "Cục An ninh mạng khuyến cáo người dân không truy cập các trang cá cược, nổ hũ trực tuyến, không nạp tiền vì không được pháp luật bảo vệ.",
        "The school charity run raised $4,000! Thanks to everyone who donated. My personal account of the day is on the blog.",
        "Disclosure: affiliate link below, I earn credit if you sign up. This standing desk fixed my back pain: desks.example/?ref=lan",
        # ordinary posts that the first draft of blind set 5's patterns flagged (review, 2026-11-27)
        "Lương tháng này công ty chuyển vào tài khoản cá nhân của mình rồi nhé, ai chưa nhận thì báo kế toán.",
        "Chủ nhà đang ở nước ngoài, em là quản lý. Căn hộ 2PN 8tr/tháng, xem nhà trực tiếp thứ 7, liên hệ 0912345678.",
        "Ngân hàng nhắc: không được nói với ai mã OTP, kể cả nhân viên ngân hàng. Hotline 1900 545413.",
        "Phim Nội gián (The Departed) chiếu lại cuối tuần, vé 90k, đặt tại https://cgv.vn",
        "Personal training: 3 medium sessions a week, $40/session, book at https://gym.example.com",
        "I accidentally applied the wrong promo code to my order #5512, please call me back at 555-123-4567.",
        "Best pain relief cream I've tried, it ships directly to my door every month. Order at https://shop.example.com",
        "Our fundraiser is registered with the state; donations go to the foundation account, not a personal PayPal.",
        "Code mình viết hôm qua chạy chậm quá, ai review giúp với, giá thuê server 200k/tháng.",
        "Lớp làm bánh cuối tuần: học phí 500k, tiền cọc nguyên liệu 200k, đăng ký qua Zalo 0912345678.",
        "Hội Chữ thập đỏ phường thông báo: chương trình quyên góp áo ấm chỉ nhận qua tài khoản mang tên hội, không nhận tiền qua tài khoản cá nhân của bất kỳ ai. Mọi thắc mắc gọi 0236 3822 111.",
    ],
)
def test_news_warnings_culture_and_disclosed_ads_are_not_flagged(detector: Detector, text: str) -> None:
    result = detector.detect_text(text)
    assert not result["flagged"], (result["category_scores"], [f["excerpt"] for f in result["findings"]])


@pytest.mark.parametrize(
    "prefix",
    ["Ø", "ß", "⑩ ", "ĳ", "b\u0336", "\u1100\u1161 ", "🔥", "\u200b", unicodedata.normalize("NFD", "Ấ")],
)
def test_evidence_survives_characters_that_fold_to_none_or_many(detector: Detector, prefix: str) -> None:
    text = prefix + "xem bói giải hạn inbox 0912345678 phí 500k ⑩"
    excerpts = [f["excerpt"] for f in detector.detect_text(text)["findings"]]
    assert {"giải hạn", "inbox", "0912345678", "500k"} <= set(excerpts), excerpts


def test_evidence_offsets_index_the_original_text(detector: Detector) -> None:
    text = unicodedata.normalize("NFD", "🔥 Nhận x.e.m b.ó.i, giải hạn") + " — ib z@lo 0 9 1 2 3 4 5 6 7 8 phí 500k"
    result = detector.detect_text(text)
    assert result["categories"]["superstition_service"]
    excerpts = {f["excerpt"] for f in result["findings"]}
    for f in result["findings"]:
        assert text[f["start"] : f["end"]] == f["excerpt"]
        assert f["explanation"] and f["signal"] in ("lexicon", "pattern", "classifier") and 0 < f["score"] <= 1
    assert "x.e.m b.ó.i" in {unicodedata.normalize("NFC", e) for e in excerpts}
    assert "0 9 1 2 3 4 5 6 7 8" in excerpts and "500k" in excerpts


def test_every_finding_on_the_examples_points_at_its_excerpt(detector: Detector) -> None:
    for post in load_jsonl(EXAMPLES):
        result = detector.detect_text(post["text"])
        for f in result["findings"]:
            assert post["text"][f["start"] : f["end"]] == f["excerpt"], post["id"]


def test_cascade_changes_no_flag(detector: Detector) -> None:
    full = Detector(load_packs(), cascade=False)
    # Signal types asked only when the flag is still open (classifier, similarity) are skipped for
    # posts the cheaper signals already decide: their evidence is absent and the score a lower bound.
    lazy = {name for name, t in signal_types().items() if t.only_when_uncertain}
    for post in load_jsonl(EXAMPLES) + load_jsonl(HOLDOUT):
        a, b = detector.detect_text(post["text"]), full.detect_text(post["text"])
        assert a["categories"] == b["categories"], post["id"]
        flagged = [c for c, hit in a["categories"].items() if hit]
        for c in flagged:  # a flagged category ran every other signal: the rest of its evidence is complete
            assert a["category_scores"][c] <= b["category_scores"][c]
        assert [f for f in a["findings"] if f["signal"] not in lazy] == [f for f in b["findings"] if f["signal"] not in lazy], post["id"]


def test_regex_planning_finds_exactly_what_a_full_scan_finds(detector: Detector) -> None:
    # Patterns run only where their literal prefixes occur; the result must equal running every
    # regex over the whole text.
    rng = random.Random(7)
    alphabet = list("abcz0123456789 .,-+$@:/_kđſıK")
    texts = [p["text"] for p in load_jsonl(EXAMPLES) + load_jsonl(HOLDOUT)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    matchers = [m for m, _ in detector.stages if hasattr(m, "patterns")]
    for text in texts:
        norm = normalize(text)
        for m in matchers:
            got = sorted((h.ref, h.start, h.end) for h in m.match(Document((("text", norm),))))
            want = sorted(
                (ref, x.start(), x.end())
                for rx, users in m.patterns
                for x in rx.finditer(norm.plain_text)
                if x.end() > x.start()
                for ref, _, _ in users
            )
            assert got == want, text


@pytest.mark.parametrize(
    ("regex", "prefixes", "required"),
    [
        (r"(?<!\w)dz?alo", {"dalo", "dzalo"}, None),  # an optional letter keeps the prefix going
        (r"(?:1[\s.-]?)?\(?\b\d{3}\)?[\s.-]\d{4}", {"1", "("} | set("0123456789"), None),  # options first
        (r"(?:[a-z0-9-]+\.){1,3}(?:com|io)\b", None, {".com", ".io"}),  # a repeat's ending joins what follows
        (r"\d+\s*(?:k|tr)\b", set("0123456789"), None),
        # a branch that would make too many prefixes ends them, and nothing after it is appended
        # (an earlier version went on and appended the next literal: "ax z", never in the text)
        ("(?:" + "|".join(c + "x" for c in "abcdefghijklmnopqrstu") + ") (?:" + "|".join(c + "y" for c in "abcdefghijklmnopqrst") + ")z",
         {c + "x " for c in "abcdefghijklmnopqrstu"}, None),
    ],
)
def test_regex_planning_reads_literal_prefixes_and_required_literals(regex: str, prefixes: set[str] | None, required: set[str] | None) -> None:
    import re._parser as sre_parse

    from trustwatch.detect.pattern import _prefixes, _required

    parsed = list(sre_parse.parse(regex, re.IGNORECASE))
    assert _prefixes(parsed) == prefixes
    if required is not None:
        assert _required(parsed)[0] == required


def test_signal_contract() -> None:
    # Every registered signal: a unique name, a config model, and nothing found in empty text.
    types = signal_types()
    assert len(types) == len(set(types)) and {"lexicon", "pattern"} <= set(types)
    pack = load_packs()
    empty = Document((("text", normalize("")),))
    detector = Detector(pack)  # built once: a Detector per reference made this test take minutes
    for name, st in types.items():
        assert st.name == name and st.config_model is not None
        refs = [r for r in detector.refs if detector.ref_type[r.index] == name]
        assert st.build(refs).match(empty) == []


def test_lexicon_with_100k_terms(tmp_path) -> None:
    terms = [f"tuvung{i:06d} đặc biệt" for i in range(100_000)] + ["xem bói"]
    pack = tmp_path / "big.yaml"
    lines = "\n".join(f"      - {t}" for t in terms)
    pack.write_text(
        "id: big\ntitle: Big\ncriterion: Many terms.\nseverity: low\naction: label\n"
        "dsa: {category: STATEMENT_CATEGORY_OTHER}\nsignals:\n  - type: lexicon\n    group: topic\n    terms:\n"
        f"{lines}\nrequire: topic\n",
        encoding="utf-8",
    )
    d = Detector([load_pack(pack)])
    hit = d.detect_text("hôm nay có TUVUNG099999 đặc biệt và x.e.m b.ó.i")
    assert hit["categories"]["big"]
    assert {f["excerpt"] for f in hit["findings"]} == {"TUVUNG099999 đặc biệt", "x.e.m b.ó.i"}
    assert not d.detect_text("tuvung0999 đặc biệt")["flagged"]


def test_examples_meet_the_published_bar() -> None:
    # The bundled examples: precision and recall of every shipped category at least 0.95.
    res = evaluate(str(EXAMPLES))
    for cat, m in res["per_class"].items():
        assert m["precision"] >= 0.95 and m["recall"] >= 0.95, (cat, m)


def test_gambling_posts_that_are_nothing_more(detector: Detector) -> None:
    # the operator advertising itself is the gambling category only; the creator's own tie is what
    # makes it undisclosed advertising as well (see the test above)
    result = detector.detect_text("NhaCaiX88 khuyến mãi nạp đầu 200%, đăng ký tại link trong mô tả, nhập mã X88VIP nhận 100k")
    assert result["categories"]["gambling"] and not result["categories"]["undisclosed_ad"], result["category_scores"]
    # a tipster's boasts are gambling, not a scam: only a hack tool or betting with the reader's money
    # lifts the betting veto
    result = detector.detect_text("Kèo thơm hôm nay MU vs Chelsea, đánh là ăn, không thể thua! Inbox Zalo 0912345678 nhận kèo.")
    assert result["categories"]["gambling"] and not result["categories"]["scam"], result["category_scores"]


# Blind set 9 (2026-11-27, the hard set: slang, indirect offers, Taglish and Indian English, rarer
# mechanisms) was measured once unread (0.744 macro-F1) and then read for one round of pack
# changes. These are its mechanisms and their near misses in our own words, not its posts.
BLIND_9_CASES = [
    ('Tối nay mở bàn phỏm online 200k một ván, ai về nhất ăn hết pot, ck trước cho mình để giữ ghế nha.', 'gambling', True),
    ('Hội tá lả online thiếu 2 slot, buy in 500k, thắng là chuyển khoản liền, ib em.', 'gambling', True),
    ('Sảnh live có dealer mới, cược tối thiểu 20k, nhắn page nhận 50k chơi thử.', 'gambling', True),
    ('Phân tích nhịp cầu bệt hôm nay, ae cần cổng uy tín thì để lại cmt, admin gửi link kèm hướng dẫn nạp.', 'gambling', True),
    ('Chốt số MB hôm nay 27 - 72, ae theo thì ck vào stk cũ, ghi rõ tên nha.', 'gambling', True),
    ('Sunday acca is live at 18/1, the bookie with the boosted odds is the link in my bio.', 'gambling', True),
    ('Satta matka result tips daily, jodi and panna, contact on WhatsApp for the full game.', 'gambling', True),
    ('Color game tonight, min bet 10 pesos, DM me for your player account and GCash payout.', 'gambling', True),
    ('Mini game đoán số 2 chữ số theo giải đặc biệt, trúng ăn 75 lần, đóng tiền qua momo.', 'gambling', True),
    ('Đọc báo vụ nhóm soi cầu lừa người già mà sợ, ai có bố mẹ mê lô đề thì nhắc giùm nha.', 'gambling', False),
    ('Cả nhà ngồi chơi phỏm ngày Tết cho vui, ai thua thì rửa bát.', 'gambling', False),
    ("Highlights of last night's match: the bookies had Arsenal as favourites but Chelsea won 2-1.", 'gambling', False),
    ('Xin chào, mình cần tìm người đánh cầu lông buổi tối ở quận 7, ai quan tâm ib nhé.', 'gambling', False),
    ('Congratulations! You have been selected as one of our 5 lucky winners of an iPhone 16. Send ₱1,800 for processing via GCash to receive it today.', 'scam', True),
    ("Anyone else get the 'you've been selected as one of our winners, send $20 for processing' text? Blocked and reported.", 'scam', False),
    ('Part-time job: you pay for the orders first with your own money, then get it back plus 15% commission within minutes. DM me to start.', 'scam', True),
    ('Việc online: em tự thanh toán đơn trước rồi được hoàn gốc + hoa hồng 10% ngay. Nhắn tin em hướng dẫn nha.', 'scam', True),
    ('Coin mới này chắc chắn x20 trong tháng, vào nhóm VIP phí 1 lần 3tr, chỉ còn 10 slot, ib mình.', 'scam', True),
    ('Bitcoin hôm nay tăng 5%, nhiều chuyên gia cho rằng giá sẽ x2 trong năm tới nhưng cũng có thể giảm mạnh. Nhà đầu tư cần thận trọng.', 'scam', False),
    ("My mentor taught me her forex strategy, I'm up 250% in two months. Comment 'INFO' and I'll send you her contact.", 'scam', True),
    ('Khóa học trading miễn phí buổi đầu, ai muốn học thì comment mình gửi lịch học nhé. Lưu ý trading có rủi ro, không ai cam kết lợi nhuận.', 'scam', False),
    ('Anh ấy dạy em đọc lệnh vàng, từ 10 triệu giờ tài khoản em đã lên 80 triệu sau 1 tháng. Ai muốn thì kết bạn nhắn tin em giới thiệu.', 'scam', True),
    ('Your electricity will be disconnected tonight due to an unpaid bill. Call the number below immediately to avoid disconnection.', 'scam', True),
    ('Thông báo lịch cắt điện ngày 5/11 tại xã An Phú do bảo trì. Điện lực không yêu cầu khách hàng chuyển khoản qua điện thoại.', 'scam', False),
    ('Bị lừa tiền qua mạng? Đội ngũ luật sư của chúng tôi thu hồi được tới 85% số tiền, chỉ tính phí khi thành công. Liên hệ zalo 0912345678.', 'scam', True),
    ('Nick Facebook bị khoá, bị hack? Mình lấy lại trong vòng 2h, gửi mình email và mật khẩu cũ là được, phí tuỳ trường hợp, inbox.', 'scam', True),
    ('Cháu bé bị bỏng nặng cần phẫu thuật gấp, mọi tấm lòng hảo tâm xin chuyển vào tài khoản cá nhân của mình để mình mang vào viện.', 'scam', True),
    ('Tool dự đoán baccarat chính xác 95%, giá 2tr trọn đời, không thắng hoàn tiền, inbox mua.', 'scam', True),
    ('Bán tool dự đoán tài xỉu? Toàn lừa đảo, mình mất 50 triệu rồi, ae đừng tin.', 'scam', False),
    ('Xem Bazi / tứ trụ cho năm mới, luận sự nghiệp và tình duyên. 500k một lá số, inbox để đặt lịch.', 'superstition_service', True),
    ('Akashic record session to find your soul purpose, 75 SGD per session, book via Zoom.', 'superstition_service', True),
    ('Authentic agimat from Siquijor, protects against evil spirits. ₱850 each, PM for price on bulk, COD available.', 'superstition_service', True),
    ('Pandit ji will perform manglik dosh nivaran puja for your marriage. Dakshina ₹1500, pay via UPI.', 'superstition_service', True),
    ('Lá bùa hộ mệnh thầy làm tại chùa Thái, đeo trong người tránh tai ương, 350k một lá, freeship toàn quốc.', 'superstition_service', True),
    ('Sim phong thủy hợp mệnh giúp làm ăn phát đạt, bình giải miễn phí, giá chỉ từ 299k, để lại sđt em gọi tư vấn.', 'superstition_service', True),
    ('Vòng đá mặt trăng đã được thanh tẩy dưới trăng rằm, hút tài lộc. Link mua ở bình luận, nhập mã LUCKY20 giảm thêm.', 'superstition_service', True),
    ('Tối nay mình rút 1 lá free cho 10 bạn đầu tiên, muốn trải 12 lá chi tiết thì ghé shop, có nhiều gói từ 150k.', 'superstition_service', True),
    ('Angel reading with channeled messages from your guides, $25 via PayPal, DM me.', 'superstition_service', True),
    ('Hôm qua đi xem bói với đứa bạn mất 200k, ông thầy bảo năm sau lấy chồng, kể cho vui chứ mình không tin lắm.', 'superstition_service', False),
    ("Tried a tarot reading at the fair for a laugh, £10 and she said I'd meet a tall stranger. Lol.", 'superstition_service', False),
    ('Bộ bài tarot 78 lá mới về, giá 250k, freeship toàn quốc.', 'superstition_service', False),
    ('Vòng tay bạc cho bé, giá 199k, freeship, link mua ở bình luận.', 'superstition_service', False),
    ('Cảnh báo: nhiều trang bán lá bùa hộ mệnh giá vài trăm nghìn, công an khuyến cáo người dân đừng tin.', 'superstition_service', False),
    ('Váy maxi đi biển của mình nè, mặc siêu mát. Link shopee ở bio nha các bạn, size nào cũng còn.', 'undisclosed_ad', True),
    ('Bộ nồi chống dính này nấu gì cũng ngon, link lazada mình để dưới bình luận luôn nha.', 'undisclosed_ad', True),
    ('Top 5 wireless earbuds I tested this year. Purchase links in the description, prices change daily.', 'undisclosed_ad', True),
    ('Quạt mini cầm tay xinh xỉu, chưa đến 150k thôi, bấm giỏ vàng dưới video là mua được nha.', 'undisclosed_ad', True),
    ('Cả nhà tải app đọc sách này đi, nhập mã của mình là được 3 tháng premium miễn phí đó.', 'undisclosed_ad', True),
    ('Đi làm đẹp ở spa này rất ưng, mọi người báo tên mình khi nhắn shop để được giảm 15% nha.', 'undisclosed_ad', True),
    ('Tối nào mình cũng nổ hũ trên app này, ai muốn chơi cùng thì đăng ký link ở bio, nhập mã TUNG99 nhận thưởng.', 'undisclosed_ad', True),
    ('This foam roller is my secret for sore legs after runs. Code KAYLA20 gets you 20% off this week.', 'undisclosed_ad', True),
    ('Streaming my whole morning routine today, the serum I use is back in stock, tap the shop icon to grab it.', 'undisclosed_ad', True),
    ('Cửa hàng chính hãng Nhà Xanh giảm 25% tất cả sản phẩm tuần này, freeship toàn quốc, đặt ngay tại link bên dưới!', 'undisclosed_ad', False),
    ('Handmade soy candles, $18 each, shop link in bio, we ship nationwide.', 'undisclosed_ad', False),
    ('Chợ gần nhà giảm giá rau củ 30% sáng nay, ai cần mua thì ghé sớm kẻo hết.', 'undisclosed_ad', False),
    ('Link đăng ký tiêm vắc xin cho trẻ ở phường mình đây nha mọi người: https://tiemchung.gov.vn/dang-ky', 'undisclosed_ad', False),
    ('Tối nay mình stream Liên Quân, ai muốn chơi cùng thì nhập mã phòng 4821 lúc 9h nha.', 'undisclosed_ad', False),
    ('Nhà cái uy tín số 1, đăng ký qua link trong mô tả, nạp đầu tặng 100%, anh em vào chơi ngay.', 'undisclosed_ad', False),
]

# Blind set 10 (2026-11-27, a mixed feed with long posts) was measured once unread (0.920 with the
# packs after the classifiers' retraining) and then read for a second round; its mechanisms and
# near misses in our own words.
BLIND_10_CASES = [
    ('Mẹ ơi con bị tai nạn đang nằm viện, mẹ chuyển ngay 15 triệu vào số 0123 4567 8910 cho bác sĩ giúp con, đừng gọi con đang mổ', 'scam', True),
    ('The spirits demand an offering of $200 in Google Play cards to lift the curse. Buy them today, send me the codes by DM and tell nobody.', 'scam', True),
    ('Thầy thấy nhà em có vong theo, phải làm lễ giải hạn 3 triệu. Em đọc cho thầy mã OTP vừa nhắn về máy để thầy ghi sớ, liên hệ Zalo 0912 345 678.', 'scam', True),
    ('Our VIP team places all the bets for you on a partner sportsbook. Deposit 300 USDT and get 3x in a week, DM now, only 5 slots left.', 'scam', True),
    ('Nhóm kéo tài xỉu, admin vào lệnh anh em chỉ việc theo, thua admin đền 100% vốn. Nạp tối thiểu 1 triệu qua link nhóm, liên hệ Zalo 0987 654 321.', 'scam', True),
    ('Tôi là cán bộ điều tra, tài khoản của anh liên quan đến đường dây rửa tiền. Anh phải chuyển toàn bộ số dư vào tài khoản tạm giữ số 1903 1234 5678, tuyệt đối không thông báo cho người thân, nếu không hợp tác sẽ bị bắt tạm giam.', 'scam', True),
    ('Thông báo: phường hỗ trợ kích hoạt VNeID miễn phí tại trụ sở. Không có nhân viên nào đi thu tiền tại nhà hay gọi điện xin mã OTP.', 'scam', False),
    ('My grandpa lost $25,000 to a fake investment advisor on WhatsApp. They made him pay a release fee to withdraw. No legitimate platform charges you to take out your own money. Please warn your family.', 'scam', False),
    ('Bạch thủ lô hôm nay 27, song thủ 38-83. Ai cần số VIP chuyển khoản 300k vào STK 123456789 Vietcombank rồi nhắn Zalo 0938 111 222 để nhận số trước 15h.', 'scam', False),
    ('Thầy nhận làm lễ giải hạn, lễ từ 2 triệu, có nhận làm lễ từ xa cho gia chủ ở nước ngoài. Liên hệ Zalo 0987 111 222 gặp thầy.', 'scam', False),
    ('Ngân hàng khuyến cáo: tuyệt đối không cung cấp mã OTP vừa nhận cho bất kỳ ai, kể cả người xưng là nhân viên ngân hàng, qua Zalo hay điện thoại.', 'scam', False),
    ('Use the discount code we just sent to your inbox for 20% off our new serum, link in bio!', 'scam', False),
    ('may hut bui cam tay nay xin lam, 299k, nhan vao gio hang nha', 'undisclosed_ad', True),
    ('quat mini nay em dung 3 thang roi ma van chay ngon, gia 149k, bam vo gio hang nhe', 'undisclosed_ad', True),
    ("Obsessed with this $9 brow gel, honestly better than the pricey one, it's on my showcase 💅", 'undisclosed_ad', True),
    ('Tối thứ 6 mình live sale đồ skincare nha, toàn món mình đang dùng, deal độc quyền chỉ có trên live, số lượng có hạn', 'undisclosed_ad', True),
    ('Váy maxi đi biển xinh hết nấc 🌊 link ở bio nha cả nhà', 'undisclosed_ad', True),
    ('Bộ nồi inox này mình mua ở tiệm Gia Dụng Hoa, nấu bền lắm. Mọi người nhắn shop báo tên "Ngọc Nội Trợ" để được giảm 10% nha, link shop mình để ở story', 'undisclosed_ad', True),
    ('Tối qua ăn đậm 5 củ nhờ tài xỉu 😎 anh em vào chơi thì vô link bio của tôi, nhập mã KHANHVIP nhận thêm 50k', 'undisclosed_ad', True),
    ('Cháu nào mua ghế massage cho ông bà thì bấm link bác để dưới bình luận, giá 3.990.000đ nha', 'undisclosed_ad', True),
    ('Nước mắm Phú Quốc nhà làm ngon bá cháy, ai muốn mua thì nhắn tin Tư, Tư gửi link, có mã giảm giá 20k nữa nè', 'undisclosed_ad', True),
    ('Link aff nha cả nhà, mình có hoa hồng nhỏ nếu mua qua link, giá không đổi. Bàn phím này mình dùng 4 tháng rồi, gõ êm, link ở bio', 'undisclosed_ad', False),
    ('Cần người làm online tại nhà: đặt đơn ảo trên Shopee giúp shop tăng tương tác, ứng trước tiền hàng sẽ được hoàn lại kèm hoa hồng, ib mình gửi link nhóm', 'undisclosed_ad', False),
    ('Gói đọc bản đồ sao 1:1 giá ưu đãi 690k (giá gốc 990k), form đăng ký ở link bio, thanh toán qua VietQR sau khi điền form', 'undisclosed_ad', False),
    ('Shop mình tối nay live sale đồ gia dụng, đồng giá 99k, ship toàn quốc, quý khách nhớ vào xem nha', 'undisclosed_ad', False),
    ('Mình tự mua quạt mini này bằng tiền túi, dùng 3 tháng thấy ổn, không có link gì đâu nha cả nhà', 'undisclosed_ad', False),
    ('Slot đang nổ liên tục tối nay, ai muốn link chơi thì cmt, page gửi liền', 'gambling', True),
    ('Game nhập vai mới ra mắt, đồ họa đẹp, PK cực cuốn, nhập giftcode nhận quà tân thủ tại link', 'gambling', False),
    ('A court in Manila has jailed five people who ran an illegal online casino, police said.', 'gambling', False),
    ('Live bói bài tarot nè cả nhà, tặng 1 bông hồng là được xem 1 câu hỏi nha', 'superstition_service', True),
]


# A review of those two rounds (2026-11-27) wrote ordinary posts against the new terms and found
# false flags (data recovery, cashback, outage notices, mooncakes, Uno, a grower's live sale, an
# author's own buy links, a pot-prize tournament, a charity's "nhịp cầu nhân ái") and two gambling
# ads that the new video-game context vetoed; each is fixed and kept here.
REVIEW_CASES = [
    ('Phục hồi dữ liệu ổ cứng bị hỏng, lấy lại đến 95% dữ liệu, liên hệ 0912 345 678 để được báo giá.', 'scam', False),
    ('Mở thẻ tín dụng mới, hoàn lại đến 10% khi chi tiêu cuối tuần, đăng ký tại link bên dưới.', 'scam', False),
    ('Thông báo: dịch vụ Internet Banking sẽ được khôi phục trong 2 giờ tới, mọi thắc mắc gọi hotline 1900 1234.', 'scam', False),
    ('Scheduled maintenance: water service will be disconnected on Saturday 8am-2pm in Zone 3, full schedule at the link below.', 'scam', False),
    ('AI football prediction app for fun leagues, $4.99 one-time, no gambling involved.', 'scam', False),
    ("Anyone have Shein promo codes? Send me the codes please, I'll share mine back.", 'scam', False),
    ('Bánh trung thu nhà làm, cả nhà quây quần dưới trăng rằm, hộp 4 bánh 280k, freeship nội thành.', 'superstition_service', False),
    ('The four pillars of a healthy life: sleep, food, movement, connection. Coaching is $120, pm me.', 'superstition_service', False),
    ('Uno luật mới: rút bài +4 là phải rút 4 lá, ai rút 1 lá mà không có thì mất lượt. Bộ bài 89k, freeship.', 'superstition_service', False),
    ('Áo thun in hình mèo hộ mệnh dễ thương, giá 150k, freeship toàn quốc, ghé shop nha.', 'superstition_service', False),
    ('Cô bán rau sạch vườn nhà, tối nay live sale chốt đơn nhé cả nhà, rau cải 20k/bó.', 'undisclosed_ad', False),
    ('My debut novel is finally out! Buy links are in the description, thank you all for the support.', 'undisclosed_ad', False),
    ('Đây là link của tôi về nghiên cứu giấc ngủ trên tạp chí, mọi người đọc ở phần bình luận nhé.', 'undisclosed_ad', False),
    ('Valorant community tournament, buy-in $5 per player, winner takes the pot. DM me to register your team.', 'gambling', False),
    ('Nhịp cầu nhân ái kỳ này giúp bà con vùng lũ về bờ an toàn, đóng góp xin chuyển khoản về số tài khoản của quỹ.', 'gambling', False),
    ('Game bắn cá đổi thưởng đồ họa 3D cực đẹp, PK nảy lửa, nạp 50k tặng 100k, link chơi ở bio.', 'gambling', True),
    ('Game nhập vai đổi thưởng tiền thật, nạp 100k tặng 200k, rút tiền về ATM 5 phút, link tải ở bio.', 'gambling', True),
]

@pytest.mark.parametrize(("text", "category", "expected"), BLIND_9_CASES + BLIND_10_CASES + REVIEW_CASES)
def test_blind_set_mechanisms_in_our_own_words(detector: Detector, text: str, category: str, expected: bool) -> None:
    result = detector.detect_text(text)
    assert result["categories"][category] is expected, (result["category_scores"], [f["excerpt"] for f in result["findings"]])



def test_blind_posts_keep_their_bar() -> None:
    # tests/data/blind_posts.jsonl, blind_posts_2.jsonl and blind_posts_4.jsonl were written from the
    # published criteria by engineers who had not read the packs (BENCHMARKS.md); their misses have
    # since been read, so these are guards against regressions, not measures of generalization:
    # macro-F1 0.945, 0.953 and 0.942 on 2026-11-27.
    here = Path(__file__).resolve().parent / "data"
    res = evaluate(str(here / "blind_posts.jsonl"))
    assert res["macro_f1"] >= 0.90, res["per_class"]
    for cat, m in res["per_class"].items():
        assert m["precision"] >= 0.88 and m["recall"] >= 0.85, (cat, m)
    res = evaluate(str(here / "blind_posts_2.jsonl"))
    assert res["macro_f1"] >= 0.92, res["per_class"]
    res = evaluate(str(here / "blind_posts_4.jsonl"))  # read for tuning too: 0.898 unread, 0.942 after
    assert res["macro_f1"] >= 0.92, res["per_class"]
    res = evaluate(str(here / "blind_posts_5.jsonl"))  # 0.903 unread (2026-11-27), then read
    assert res["macro_f1"] >= 0.94, res["per_class"]
    res = evaluate(str(here / "blind_posts_6.jsonl"))  # 0.922 unread (2026-11-27), then read
    assert res["macro_f1"] >= 0.94, res["per_class"]
    res = evaluate(str(here / "blind_posts_7.jsonl"))  # 0.866 unread (2026-11-27), then read
    assert res["macro_f1"] >= 0.91, res["per_class"]
    # blind_posts_3.jsonl was written the same way on 2026-11-27 and is measured only, never read
    # for tuning (0.908 before that day's pattern additions, 0.916 after, 0.924 after blind set 5's
    # round): a drop below 0.90 is a regression.
    res = evaluate(str(here / "blind_posts_3.jsonl"))
    assert res["macro_f1"] >= 0.90, res["per_class"]
    # blind set 9, the hard set: 0.744 unread (2026-11-27), 0.980 after one round of reading it,
    # 0.964 after the review's fixes
    res = evaluate(str(here / "blind_posts_9.jsonl"))
    assert res["macro_f1"] >= 0.95, res["per_class"]
    # blind set 8 is kept unread like blind set 3: 0.929 at the start of 2026-11-27's last session,
    # 0.935 after the classifiers were retrained, 0.947 after blind set 9's round, 0.950 after blind
    # set 10's
    res = evaluate(str(here / "blind_posts_8.jsonl"))
    assert res["macro_f1"] >= 0.92, res["per_class"]
    # blind set 10: 0.914 with the session-start packs, 0.920 unread after the retraining, 0.922 after
    # blind set 9's round, then read: 0.993
    res = evaluate(str(here / "blind_posts_10.jsonl"))
    assert res["macro_f1"] >= 0.96, res["per_class"]


NESTED = """
id: nested
title: Nested
criterion: Test pack.
severity: low
action: label
dsa: {category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD}
signals:
  - type: lexicon
    group: cta
    terms: [{term: bấm giỏ hàng, weight: 0.8}, {term: giỏ hàng, weight: 0.4}, {term: giỏ, weight: 0.9}]
  - {type: pattern, group: cta, name: url, weight: 0.6}
  - {type: pattern, group: cta, name: bare_link, regex: '(?:[a-z0-9-]+\\.)+[a-z]{2,10}/[\\w/-]+', weight: 0.5}
  - {type: lexicon, group: other, terms: [{term: giỏ hàng, weight: 0.3}]}
require: cta
"""


def test_a_finding_inside_a_stronger_one_of_its_group_is_left_out(tmp_path: Path) -> None:
    pack = tmp_path / "nested.yaml"
    pack.write_text(NESTED, encoding="utf-8")
    d = Detector([load_pack(pack)])
    res = d.detect_text("Bấm giỏ hàng nha, hoặc https://shop.example.vn/noi-chien")
    shown = [(f["excerpt"], f["score"]) for f in res["findings"]]
    # `giỏ hàng` (0.4) inside `bấm giỏ hàng` (0.8) says nothing new; `giỏ` (0.9) weighs more and
    # stays; the link's path pattern inside the full URL goes; the score counts every term.
    assert shown == [("Bấm giỏ hàng", 0.8), ("giỏ", 0.9), ("https://shop.example.vn/noi-chien", 0.6)]
    assert res["category_scores"]["nested"] == round(1 - 0.2 * 0.6 * 0.1 * 0.4 * 0.5, 4)
