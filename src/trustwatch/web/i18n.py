"""The interface in English and Vietnamese: one table of labels, one language per request.

The language comes from the `tw_lang` cookie (set by the language links), else from the browser's
Accept-Language, else English. Post content is never translated: it is shown as written.
"""

from __future__ import annotations

from fastapi import Request

LANGS = ("en", "vi")

LABELS: dict[str, dict[str, str]] = {
    "app": {"en": "trustwatch", "vi": "trustwatch"},
    "dashboard": {"en": "Dashboard", "vi": "Tổng quan"},
    "queue": {"en": "Review queue", "vi": "Hàng đợi duyệt"},
    "scans": {"en": "Scans", "vi": "Lượt quét"},
    "authors": {"en": "Authors", "vi": "Tác giả"},
    "users": {"en": "Users", "vi": "Người dùng"},
    "api_docs": {"en": "API", "vi": "API"},
    "login": {"en": "Sign in", "vi": "Đăng nhập"},
    "logout": {"en": "Sign out", "vi": "Đăng xuất"},
    "username": {"en": "User name", "vi": "Tên đăng nhập"},
    "password": {"en": "Password", "vi": "Mật khẩu"},
    "bad_login": {"en": "The name or password is wrong.", "vi": "Tên hoặc mật khẩu không đúng."},
    "signed_in_as": {"en": "Signed in as", "vi": "Đăng nhập với"},
    "role": {"en": "role", "vi": "vai trò"},
    "posts": {"en": "posts", "vi": "bài đăng"},
    "flagged": {"en": "flagged", "vi": "bị gắn cờ"},
    "records_read": {"en": "records read", "vi": "bản ghi đã đọc"},
    "quarantined": {"en": "quarantined", "vi": "bị cách ly"},
    "findings": {"en": "findings", "vi": "bằng chứng"},
    "flags_over_time": {"en": "Flags per category, scan by scan", "vi": "Số bài bị gắn cờ theo hạng mục, qua từng lượt quét"},
    "latest_scans": {"en": "Latest scans", "vi": "Các lượt quét gần đây"},
    "scan": {"en": "Scan", "vi": "Lượt quét"},
    "started": {"en": "started", "vi": "bắt đầu"},
    "status": {"en": "status", "vi": "trạng thái"},
    "category": {"en": "Category", "vi": "Hạng mục"},
    "all": {"en": "all", "vi": "tất cả"},
    "platform": {"en": "Platform", "vi": "Nền tảng"},
    "min_score": {"en": "Min. score", "vi": "Điểm tối thiểu"},
    "search": {"en": "Text contains", "vi": "Nội dung chứa"},
    "filter": {"en": "Filter", "vi": "Lọc"},
    "flagged_only": {"en": "Flagged only", "vi": "Chỉ bài bị gắn cờ"},
    "post": {"en": "Post", "vi": "Bài đăng"},
    "author": {"en": "Author", "vi": "Tác giả"},
    "score": {"en": "score", "vi": "điểm"},
    "scores": {"en": "Scores", "vi": "Điểm"},
    "evidence": {"en": "Evidence", "vi": "Bằng chứng"},
    "explanation": {"en": "explanation", "vi": "giải thích"},
    "criterion": {"en": "Published criterion", "vi": "Tiêu chí công bố"},
    "no_results": {"en": "Nothing matches these filters.", "vi": "Không có kết quả phù hợp."},
    "no_scans": {"en": "No scan yet: run `trustwatch scan FILE` first.", "vi": "Chưa có lượt quét nào: hãy chạy `trustwatch scan FILE` trước."},
    "versions": {"en": "Versions", "vi": "Phiên bản"},
    "media": {"en": "Media", "vi": "Tệp đa phương tiện"},
    "other_evidence": {"en": "Evidence in media and other sources", "vi": "Bằng chứng trong tệp đa phương tiện và nguồn khác"},
    "not_a_link": {"en": "not a web link, shown as text", "vi": "không phải liên kết web, hiển thị dạng chữ"},
    "previous": {"en": "Previous", "vi": "Trước"},
    "next": {"en": "Next", "vi": "Tiếp"},
    "of": {"en": "of", "vi": "trên"},
    "total": {"en": "total", "vi": "tổng"},
    "name": {"en": "name", "vi": "tên"},
    "followers": {"en": "followers", "vi": "người theo dõi"},
    "active": {"en": "active", "vi": "hoạt động"},
    "tokens": {"en": "API tokens", "vi": "Mã API"},
    "created": {"en": "created", "vi": "tạo lúc"},
    "error": {"en": "Error", "vi": "Lỗi"},
    "back_home": {"en": "Back to the dashboard", "vi": "Về trang tổng quan"},
    "language": {"en": "Language", "vi": "Ngôn ngữ"},
    "inputs": {"en": "inputs", "vi": "đầu vào"},
    "open_queue": {"en": "Open in the review queue", "vi": "Mở trong hàng đợi duyệt"},
    "quarantine": {"en": "Quarantined records", "vi": "Bản ghi bị cách ly"},
    "line": {"en": "line", "vi": "dòng"},
    "reason": {"en": "reason", "vi": "lý do"},
    "not_flagged": {"en": "not flagged", "vi": "không bị gắn cờ"},
    "title": {"en": "Title", "vi": "Tiêu đề"},
    "hashtags": {"en": "Hashtags", "vi": "Hashtag"},
    "invisible": {"en": "invisible character", "vi": "ký tự ẩn"},
    # review workflow (routes_cases)
    "cases": {"en": "Cases", "vi": "Vụ việc"},
    "case": {"en": "Case", "vi": "Vụ việc"},
    "appeals": {"en": "Appeals", "vi": "Khiếu nại"},
    "notices": {"en": "Notices", "vi": "Thông báo gỡ bỏ"},
    "audit": {"en": "Audit log", "vi": "Nhật ký kiểm toán"},
    "assignee": {"en": "assignee", "vi": "người phụ trách"},
    "reviews": {"en": "reviews needed", "vi": "số người duyệt cần"},
    "decisions": {"en": "Decisions", "vi": "Quyết định"},
    "decide": {"en": "Decision", "vi": "Quyết định"},
    "confirm": {"en": "Confirm violation", "vi": "Xác nhận vi phạm"},
    "dismiss": {"en": "Dismiss", "vi": "Bác bỏ"},
    "uphold": {"en": "Uphold", "vi": "Giữ nguyên"},
    "overturn": {"en": "Overturn", "vi": "Hủy quyết định"},
    "file_appeal": {"en": "File an appeal", "vi": "Nộp khiếu nại"},
    "appellant": {"en": "Appellant", "vi": "Người khiếu nại"},
    "grounds": {"en": "Grounds", "vi": "Căn cứ"},
    "compliance": {"en": "Compliance per platform", "vi": "Mức tuân thủ theo nền tảng"},
    "requests": {"en": "requests", "vi": "yêu cầu"},
    "complied": {"en": "complied", "vi": "đã tuân thủ"},
    "rate": {"en": "rate", "vi": "tỷ lệ"},
    "median_hours": {"en": "median hours to act", "vi": "số giờ xử lý (trung vị)"},
    "declined": {"en": "declined", "vi": "từ chối"},
    "not_complied": {"en": "not complied", "vi": "không tuân thủ"},
    "overdue": {"en": "overdue", "vi": "quá hạn"},
    "no_notices": {"en": "No notice has been sent yet.", "vi": "Chưa gửi thông báo nào."},
    "deadline": {"en": "deadline", "vi": "hạn chót"},
    "chain_ok": {"en": "The hash chain verifies: no entry was changed, removed or inserted.", "vi": "Chuỗi băm hợp lệ: không mục nào bị sửa, xóa hay chèn."},
    "chain_broken": {"en": "The hash chain does not verify", "vi": "Chuỗi băm không hợp lệ"},
    "at": {"en": "at", "vi": "lúc"},
    "actor": {"en": "actor", "vi": "người thực hiện"},
    "action": {"en": "action", "vi": "hành động"},
    "entity": {"en": "entity", "vi": "đối tượng"},
    # creators and campaigns (routes_creators)
    "creators": {"en": "Creators", "vi": "Nhà sáng tạo"},
    "creator": {"en": "Creator", "vi": "Nhà sáng tạo"},
    "campaigns": {"en": "Campaigns", "vi": "Chiến dịch"},
    "credibility": {"en": "Credibility score", "vi": "Điểm uy tín"},
    "component": {"en": "component", "vi": "thành phần"},
    "value": {"en": "value", "vi": "giá trị"},
    "weight": {"en": "weight", "vi": "trọng số"},
    "contribution": {"en": "contribution", "vi": "đóng góp"},
    "violations": {"en": "Confirmed violations", "vi": "Vi phạm đã xác nhận"},
    "overturned": {"en": "overturned", "vi": "đã hủy"},
    "recognition": {"en": "Recognition", "vi": "Ghi nhận"},
    "watchlist": {"en": "Watchlist", "vi": "Danh sách theo dõi"},
    "creator_profile": {"en": "Creator profile and score", "vi": "Hồ sơ và điểm nhà sáng tạo"},
    "no_campaigns": {"en": "No campaign files: start the server with --campaigns DIR.", "vi": "Chưa có tệp chiến dịch: chạy máy chủ với --campaigns DIR."},
    "top_contributors": {"en": "Top contributors", "vi": "Người đóng góp nhiều nhất"},
    "views": {"en": "views", "vi": "lượt xem"},
    # source clusters (routes_clusters)
    "clusters": {"en": "Sources", "vi": "Nguồn lan truyền"},
    "cluster": {"en": "Cluster", "vi": "Cụm"},
    "accounts": {"en": "accounts", "vi": "tài khoản"},
    "earliest": {"en": "Earliest post", "vi": "Bài sớm nhất"},
    "coordinated": {"en": "likely coordinated", "vi": "có thể phối hợp"},
    "spread_tree": {"en": "How it spread", "vi": "Cây lan truyền"},
    "growth": {"en": "Posts per day", "vi": "Số bài mỗi ngày"},
    "no_clusters": {"en": "No cluster of near-duplicate posts yet.", "vi": "Chưa có cụm bài gần trùng lặp nào."},
}


def pick_lang(request: Request) -> str:
    cookie = request.cookies.get("tw_lang")
    if cookie in LANGS:
        return cookie
    accept = request.headers.get("accept-language", "").lower()
    return "vi" if accept.startswith("vi") else "en"


def translator(lang: str):
    def t(key: str) -> str:
        entry = LABELS.get(key)
        return entry[lang] if entry else key

    return t
