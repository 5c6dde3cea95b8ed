"""Everyday posts, Vietnamese and English, written for this project: the neutral neighbours of the
semantic signals. A post that is merely *about something* sits about as close to a pack's examples as
to these; one that says what the examples say sits closer to the examples. Using them as a third
class (beside examples and counter-examples) is what lets the `similarity` signal decide by its
nearest neighbours instead of by one fixed cosine cut-off, and lets `claims` measure each claim
against its own background level."""

from __future__ import annotations

BACKGROUND: tuple[str, ...] = (
    "Hôm nay trời đẹp quá, cả nhà rủ nhau đi ăn phở ở quán quen gần nhà.",
    "Cuối tuần này mình về quê thăm ông bà, chụp được mấy tấm ảnh đồng lúa rất đẹp.",
    "Bạn nào biết chỗ sửa xe máy uy tín ở quận 3 không, chỉ mình với, cảm ơn nhiều ạ.",
    "Đội tuyển Việt Nam thắng 2-0 tối qua, cả khu phố đi bão đến nửa đêm.",
    "Con gái mình hôm nay đi học ngày đầu tiên, khóc quá trời mà mẹ cũng rưng rưng.",
    "Công thức làm bánh flan mềm mịn không bị rỗ, ai cần mình gửi nha.",
    "Thời tiết se lạnh rồi, nhớ mặc ấm khi ra đường nhé mọi người.",
    "Mình mới đọc xong cuốn sách về lịch sử Đà Nẵng, rất đáng đọc.",
    "Quán cà phê mới mở gần hồ, không gian yên tĩnh, hợp để làm việc.",
    "Sáng nay kẹt xe kinh khủng trên đường Nguyễn Trãi, đi làm trễ mất 30 phút.",
    "Cả nhà mình vừa dọn sang căn hộ mới, còn ngổn ngang đồ đạc lắm.",
    "Lớp yoga buổi sáng giúp mình ngủ ngon hơn hẳn, ai ở gần thì đi chung nha.",
    "Hôm qua đi khám răng định kỳ, bác sĩ dặn bớt ăn đồ ngọt.",
    "Trường tổ chức hội chợ xuân cho các bé, vui lắm, có cả trò chơi dân gian.",
    "Giá xăng tuần này lại tăng, đi làm bằng xe buýt cho tiết kiệm.",
    "Mình đang học tiếng Anh online mỗi tối, sau ba tháng thấy tiến bộ rõ.",
    "Chiều nay mưa to quá, đường ngập hết, mọi người đi đường cẩn thận.",
    "Bộ phim tối qua xem ở rạp hay lắm, kết thúc bất ngờ.",
    "Nhà mình trồng được giàn mướp trên sân thượng, năm nay sai quả ghê.",
    "Chúc mừng sinh nhật mẹ yêu, chúc mẹ luôn mạnh khỏe và vui vẻ.",
    "Tin tức: thành phố khởi công xây cầu mới bắc qua sông, dự kiến hoàn thành sau hai năm.",
    "Ngân hàng thông báo lịch nghỉ Tết, các phòng giao dịch mở lại từ mùng 6.",
    "Bệnh viện tỉnh tổ chức khám sức khỏe miễn phí cho người cao tuổi vào cuối tuần.",
    "Cửa hàng tạp hóa đầu ngõ vừa nhập thêm rau sạch từ Đà Lạt.",
    "Just got back from the market, the mangoes are finally in season.",
    "We tried a new noodle place downtown and the kids loved it.",
    "Does anyone know a good mechanic near the river? My car keeps making a noise.",
    "What a game last night, our team came back from two goals down.",
    "Reading a great book this week about the history of the spice trade.",
    "The weather is lovely today, we took the dog for a long walk in the park.",
    "Finally finished painting the kitchen, it took the whole weekend.",
    "Our school is holding a bake sale on Friday, all proceeds go to the library.",
    "Traffic was terrible this morning, it took me an hour to get to work.",
    "Happy birthday to my little brother, can't believe he is twenty already.",
    "Any recommendations for a quiet cafe to work from near the station?",
    "The city council approved the new bike lanes on Main Street yesterday.",
    "I started learning the guitar last month and my fingers still hurt.",
    "Heavy rain expected tonight, drive carefully everyone.",
    "Watched a documentary about coral reefs, absolutely beautiful footage.",
    "My grandmother's recipe for chicken soup is still the best remedy for a cold day.",
    "The bank will be closed on Monday for the public holiday.",
    "Our local clinic is offering free blood pressure checks this Saturday.",
    "New phone arrived today, the camera is so much better than my old one.",
    "Moving to a new apartment next week, boxes everywhere.",
)
