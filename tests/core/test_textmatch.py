"""Vietnamese text matching (server/core/textmatch.py): folding, search, near-duplicate scores,
and duplicate_pairs against scoring every pair by hand.
"""

from __future__ import annotations

import itertools
import random
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from server.core.textmatch import (
    DUPLICATE_THRESHOLD,
    duplicate_pairs,
    fold,
    matches,
    similarity,
    tokens,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- fold ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đất đai, tài nguyên", "dat dai tai nguyen"),
        ("Ừ", "u"),
        ("ữ", "u"),
        ("Ỹ", "y"),
        ("đ", "d"),
        ("Đ", "d"),
        ("ĐƯỜNG ĐÊ", "duong de"),
        ("Nguyễn Thị Thu Thủy", "nguyen thi thu thuy"),
        ("Thuỵ", "thuy"),
        ("ặ ậ ẳ ẵ ợ ở ỡ ự ử", "a a a a o o o u u"),
        ("Hẻm 12/3A \u2013 tổ 5", "hem 12 3a to 5"),
        ("  nhiều   khoảng\ttrắng\n ", "nhieu khoang trang"),
        ("...!!!", ""),
        ("", ""),
        ("a_b-c", "a b c"),
        ("ÀÁẢÃẠ", "aaaaa"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize("text", ["Đất đai", "Ừ ữ Ỹ", "Thạch Bàn", "nạo vét kênh", "Hội Đồng"])
def test_decomposed_input_folds_like_composed(text: str) -> None:
    assert nfd(text) != text
    assert fold(nfd(text)) == fold(text)


def test_tokens_are_the_folded_words_in_order() -> None:
    assert tokens("Đề nghị: sửa đèn đường!") == ("de", "nghi", "sua", "den", "duong")
    assert tokens("") == ()


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_fold_ignores_normal_form(text: str) -> None:
    assert fold(nfd(text)) == fold(unicodedata.normalize("NFC", text))


# --- matches -------------------------------------------------------------------------------------

TEXT = "Đất đai ở phường Thạch Bàn: đề nghị đặt biển báo, hoà giải tranh chấp"


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # without diacritics: everything, whatever its diacritics
        ("dat dai", "đất đai", True),
        ("dat", "đất", True),
        ("dat", "đặt", True),
        ("dat", "đạt", True),
        ("DAT DAI", "Đất Đai", True),
        ("thach ban", TEXT, True),
        ("ban thach", TEXT, True),  # word order does not matter
        ("hoa giai", TEXT, True),
        # with diacritics: case still does not matter
        ("Đất Đai", "đất đai", True),
        ("ĐẤT ĐAI", "đất đai", True),
        ("đất đai", "ĐẤT ĐAI", True),
        # accents narrow the search
        ("đặt", "đất", False),
        ("đất", "đặt", False),
        ("đặt", "Đặt biển báo", True),
        ("đất", "dat dai", False),  # an unaccented text is not found by an accented query
        ("đa", "da", False),  # đ is a diacritic
        ("đa", "Đa số", True),
        # tone placement: old and new style are the same word
        ("hòa", "hoà giải", True),
        ("hoà", "Hòa giải", True),
        ("thụy", "Gia Thuỵ", True),
        ("thủy", "Gia Thuỵ", False),  # hỏi is not nặng
        # a tone not typed yet does not narrow; one typed does
        ("đât", "đất", True),
        ("đâ", "đầu", True),
        ("đâ", "đặt", False),
        ("đặ", "đặt", True),
        ("đặ", "đạt", False),
        # the choice is per word
        ("đất dai", "đất đai", True),
        ("đất dai", "đặt đai", False),
        # prefixes
        ("tha ba", TEXT, True),
        ("thạ", TEXT, True),
        ("thà", TEXT, False),
        ("ban thach x", TEXT, False),
        ("12", "hẻm 12/3", True),
        ("hem 12", "Hẻm 123", True),
        ("hem 21", "Hẻm 123", False),
        ("tranh chap dat", TEXT, True),
        ("dai dat", "đất", False),  # every query word must begin some word
        ("sua", "đất đai", False),
        # nothing to look for: everything matches
        ("", TEXT, True),
        ("", "", True),
        ("  ,.!", TEXT, True),
        ("dat", "", False),
        # decomposed input on either side
        (nfd("đặt"), "Đặt", True),
        ("đặt", nfd("ĐẶT"), True),
        (nfd("đặt"), "đất", False),
    ],
)
def test_matches(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@given(st.text())
def test_a_text_finds_itself_with_and_without_diacritics(text: str) -> None:
    assert matches(text, text)
    assert matches(fold(text), text)


def test_without_diacritics_finds_all_spellings_with_diacritics_narrows() -> None:
    texts = ["đất đai", "đặt cọc", "đạt chuẩn", "dat khong dau"]
    assert [t for t in texts if matches("dat", t)] == texts
    assert [t for t in texts if matches("đặt", t)] == ["đặt cọc"]
    assert [t for t in texts if matches("đất", t)] == ["đất đai"]


# --- similarity ----------------------------------------------------------------------------------

# The same question asked twice: from another site, later in the meeting, without diacritics,
# in another order, with the petition's formulas added or dropped.
NEAR_DUPLICATES = [
    ("Đề nghị sửa đèn đường hẻm 12 bị hỏng", "Den duong hem 12 hong lau roi, de nghi sua"),
    (
        "Khi nào phường nạo vét kênh Thạch Bàn? Kênh bốc mùi hôi thối quá",
        "Xin hỏi khi nào nạo vét kênh Thạch Bàn, mùi hôi thối lắm",
    ),
    (
        "Đề nghị làm rõ tiến độ cấp giấy chứng nhận quyền sử dụng đất cho các hộ tổ 5",
        "Tiến độ cấp giấy chứng nhận quyền sử dụng đất của các hộ dân tổ 5 đến đâu rồi?",
    ),
    (
        "Rác thải tập kết ở đầu ngõ 34 Nguyễn Văn Cừ gây ô nhiễm",
        "rac thai tap ket dau ngo 34 nguyen van cu gay o nhiem",
    ),
    (
        "Tuyến đường Ngọc Lâm thường xuyên ngập úng khi mưa lớn",
        "Mưa lớn là đường Ngọc Lâm ngập úng, đề nghị xử lý",
    ),
    (
        "Đề nghị lắp đặt camera an ninh tại khu tập thể Gia Thụy",
        "Lắp camera an ninh khu tập thể Gia Thuỵ được không ạ?",
    ),
    (
        "Tình trạng lấn chiếm vỉa hè làm nơi trông giữ xe trên phố Hồng Tiến",
        "Vỉa hè phố Hồng Tiến bị lấn chiếm trông giữ xe, người đi bộ phải xuống lòng đường",
    ),
    (
        "Bao giờ thì giải phóng mặt bằng dự án mở rộng đường Long Biên - Thạch Bàn?",
        "Dự án mở rộng đường Long Biên Thạch Bàn bao giờ giải phóng mặt bằng xong?",
    ),
    (
        "Tiếng ồn từ quán karaoke số 8 ngõ 100 kéo dài đến nửa đêm",
        "Quan karaoke so 8 ngo 100 hat on den nua dem",
    ),
    (
        "Đề nghị bổ sung thùng rác công cộng ở vườn hoa tổ 12",
        "DE NGHI BO SUNG THUNG RAC CONG CONG VUON HOA TO 12",
    ),
    (
        "Đề nghị UBND phường xem xét giải quyết việc cấp nước sạch cho khu tái định cư",
        "Khu tái định cư chưa có nước sạch, cấp nước cho dân khi nào?",
    ),
]

# Different questions, many on the same street, topic or alley.
DIFFERENT = [
    ("Đề nghị sửa đèn đường hẻm 12 bị hỏng", "Đề nghị nạo vét kênh Thạch Bàn"),
    ("Đề nghị sửa đèn đường hẻm 12 bị hỏng", "Đề nghị sửa đường hẻm 14 bị lún"),
    (
        "Rác thải tập kết ở đầu ngõ 34 Nguyễn Văn Cừ gây ô nhiễm",
        "Đề nghị lắp đặt camera an ninh tại khu tập thể Gia Thụy",
    ),
    (
        "Tuyến đường Ngọc Lâm thường xuyên ngập úng khi mưa lớn",
        "Tuyến đường Ngọc Thụy xuống cấp, nhiều ổ gà",
    ),
    (
        "Tiến độ cấp giấy chứng nhận quyền sử dụng đất cho các hộ tổ 5",
        "Tiến độ xây trường mầm non tổ 5",
    ),
    (
        "Xin hỏi về chế độ cho người có công với cách mạng",
        "Xin hỏi về chế độ bảo hiểm y tế cho người cao tuổi",
    ),
    ("Đường hẻm 5 bị ngập", "Đường hẻm 7 không có đèn"),
    (
        "Tiếng ồn từ quán karaoke số 8 ngõ 100 kéo dài đến nửa đêm",
        "Đề nghị bổ sung thùng rác công cộng ở vườn hoa tổ 12",
    ),
    (
        "Giá nước sạch tăng quá cao so với chất lượng",
        "Nước sạch bị đục, có mùi, đề nghị kiểm tra chất lượng",
    ),
    ("Vỉa hè phố Hồng Tiến bị lấn chiếm", "Phố Hồng Tiến thiếu cây xanh"),
    (
        "Đề nghị làm rõ tiến độ dự án khu đô thị Việt Hưng",
        "Đề nghị làm rõ trách nhiệm cán bộ địa chính",
    ),
    ("Chợ Long Biên lấn chiếm lòng đường", "Cho hỏi lịch tiêm chủng cho trẻ em"),
]


@pytest.mark.parametrize(("a", "b"), NEAR_DUPLICATES)
def test_near_duplicates_score_above_the_threshold(a: str, b: str) -> None:
    assert similarity(a, b) >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_questions_score_below_the_threshold(a: str, b: str) -> None:
    assert similarity(a, b) < DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), NEAR_DUPLICATES + DIFFERENT)
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, b) <= 1.0


def test_diacritics_case_and_word_order_do_not_matter() -> None:
    text = "Đề nghị nạo vét kênh Thạch Bàn"
    assert similarity(text, "de nghi nao vet kenh thach ban") == 1.0
    assert similarity(text, "KÊNH THẠCH BÀN: NẠO VÉT") == 1.0
    assert similarity(text, nfd(text)) == 1.0


def test_filler_does_not_make_questions_alike() -> None:
    assert similarity("Đề nghị phường cho người dân biết", "Đề nghị cho biết") == 1.0
    assert similarity("Xin hỏi về việc của các hộ dân", "Xin hỏi về đê") < 0.2


def test_accented_words_that_fold_to_filler_still_count() -> None:
    # "chợ" (market) folds to "cho" (filler); written with its accent it is kept.
    assert similarity("chợ", "chợ") == 1.0
    assert similarity("chợ Long Biên", "Long Biên") < 1.0


def test_different_numbers_lower_the_score() -> None:
    same = similarity("Đèn đường hẻm 12 bị hỏng", "Đèn đường hẻm 12 hỏng")
    other = similarity("Đèn đường hẻm 12 bị hỏng", "Đèn đường hẻm 14 hỏng")
    no_number = similarity("Đèn đường hẻm 12 bị hỏng", "Đèn đường hẻm hỏng")
    assert same == 1.0
    assert other < no_number < same


def test_texts_without_letters_or_digits_are_like_nothing() -> None:
    assert similarity("", "") == 0.0
    assert similarity("?!", "?!") == 0.0
    assert similarity("", "đất đai") == 0.0


def test_a_text_made_only_of_filler_equals_itself() -> None:
    assert similarity("Xin hỏi", "xin hoi") == 1.0
    assert similarity("Đề nghị", "Xin hỏi") == 0.0


@given(st.text())
def test_a_text_is_identical_to_itself(text: str) -> None:
    assume(any(c.isalnum() for c in text))
    assert similarity(text, text) == 1.0


@given(st.text(), st.text())
def test_similarity_is_symmetric(a: str, b: str) -> None:
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, b) <= 1.0


# --- duplicate_pairs -----------------------------------------------------------------------------


def word_list(text: str) -> list[str]:
    return text.split()


WORDS = word_list("""
đường hẻm ngõ phố khu tổ nhà đất giấy chứng nhận quyền sử dụng tiến độ dự án giải phóng mặt
bằng bồi thường tái định cư kênh mương nạo vét ngập úng thoát nước mưa rác thải thu gom vệ sinh
môi trường ô nhiễm tiếng ồn karaoke quán đèn chiếu sáng hỏng tối vỉa hè lấn chiếm trông giữ xe
máy trật tự an ninh camera trộm cắp trường học mầm non giáo viên học sinh học phí trạm y tế bệnh
viện bảo hiểm cao tuổi chế độ chính sách thương binh liệt sĩ hộ nghèo trợ cấp cây xanh vườn hoa
công viên sân chơi thể thao văn hóa cán bộ địa chính trách nhiệm đơn thư khiếu nại tố cáo chậm trễ
công khai minh bạch quy hoạch xây dựng trái phép sửa chữa nâng cấp mở rộng lún nứt ổ gà xuống cấp
nguy hiểm tai nạn giao thông biển báo nước sạch đục mùi giá điện mất cắt kiểm tra xử lý vi phạm
phạt chợ hàng rong lòng đường cầu cống đê điều bến sông cảng cá ruộng vườn lúa rau màu chăn nuôi
gia súc dịch bệnh tiêm chủng trẻ em phụ nữ thanh niên việc làm đào tạo nghề doanh nghiệp thuế
""")
FILLER = word_list("đề nghị xin hỏi cho biết của các người dân phường về việc này")
NAMES = word_list(
    "Ngọc Lâm Thạch Bàn Gia Thụy Long Biên Việt Hưng Hồng Tiến Bồ Đề Phúc Đồng Cự Khối"
)


def strip_accents(text: str) -> str:
    bare = "".join(c for c in nfd(text) if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D")


def question(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(12, 22))
    for _ in range(rng.randint(0, 4)):
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLER))
    place = f"{rng.choice(['hẻm', 'tổ', 'ngõ', 'số'])} {rng.randint(1, 300)} {rng.choice(NAMES)}"
    return rng.choice(["Đề nghị ", "Xin hỏi ", ""]) + " ".join(words) + ", " + place


def asked_again(rng: random.Random, text: str) -> str:
    """The same question from another site: reordered, up to three words swapped for others,
    sometimes without diacritics or shouted."""
    words = text.replace(",", "").split()
    cut = rng.randrange(1, len(words))
    words = words[cut:] + words[:cut]
    for _ in range(rng.randint(1, 3)):
        del words[rng.randrange(len(words))]
        words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS))
    again = "đề nghị " + " ".join(words) + " ạ?"
    style = rng.randrange(3)
    if style == 1:
        again = strip_accents(again)
    elif style == 2:
        again = again.upper()
    return again


def planted_set(
    seed: int, size: int, planted: int
) -> tuple[list[tuple[str, str]], set[frozenset[str]]]:
    rng = random.Random(seed)
    items = [(f"q{i}", question(rng)) for i in range(size - planted)]
    originals = rng.sample(items, planted)
    expected = set()
    for n, (original_id, text) in enumerate(originals):
        copy_id = f"dup{n}"
        items.insert(rng.randrange(len(items) + 1), (copy_id, asked_again(rng, text)))
        expected.add(frozenset((original_id, copy_id)))
    return items, expected


def by_hand(items: list[tuple[str, str]], threshold: float) -> list[tuple[str, str, float]]:
    """Every pair scored: what duplicate_pairs must equal."""
    found = [
        (a_id, b_id, similarity(a, b))
        for (a_id, a), (b_id, b) in itertools.combinations(items, 2)
        if a_id != b_id
    ]
    return [p for p in found if p[2] >= threshold]


def test_duplicate_pairs_finds_the_planted_duplicates_and_nothing_else() -> None:
    items, expected = planted_set(seed=20240601, size=500, planted=25)
    found = duplicate_pairs(items)
    assert {frozenset(p[:2]) for p in found} == expected
    # and scoring all 124,750 pairs finds the same: nothing else reaches the threshold
    assert {frozenset(p[:2]) for p in by_hand(items, DUPLICATE_THRESHOLD)} == expected


def test_duplicate_pairs_is_best_first_in_input_order_with_the_scores_of_similarity() -> None:
    items, _ = planted_set(seed=7, size=200, planted=12)
    found = duplicate_pairs(items)
    assert found
    scores = [score for _, _, score in found]
    assert scores == sorted(scores, reverse=True)
    position = {item_id: i for i, (item_id, _) in enumerate(items)}
    text = dict(items)
    for a, b, score in found:
        assert position[a] < position[b]
        assert score == similarity(text[a], text[b])


@pytest.mark.parametrize("threshold", [0.05, 0.3, 0.4, 0.45, 0.5, 0.6, 0.75, 0.9, 1.0])
def test_duplicate_pairs_equals_scoring_every_pair(threshold: float) -> None:
    items, _ = planted_set(seed=3, size=120, planted=10)
    items += [(f"x{i}", text) for i, (_, text) in enumerate(NEAR_DUPLICATES + DIFFERENT)]
    items += [("empty", ""), ("punctuation", "?!"), ("filler", "Đề nghị xin hỏi")]
    found = duplicate_pairs(items, threshold)
    expected = by_hand(items, threshold)
    assert {frozenset(p[:2]): p[2] for p in found} == {frozenset(p[:2]): p[2] for p in expected}


@given(
    st.lists(
        st.lists(st.sampled_from(WORDS[:40] + FILLER + ["12", "14"]), max_size=8).map(" ".join),
        max_size=14,
    ),
    st.sampled_from([0.2, 0.41, 0.5, 0.6, 0.8, 1.0]),
)
def test_duplicate_pairs_equals_scoring_every_pair_for_any_small_set(
    texts: list[str], threshold: float
) -> None:
    items = [(f"t{i}", text) for i, text in enumerate(texts)]
    found = duplicate_pairs(items, threshold)
    assert found == sorted(by_hand(items, threshold), key=lambda p: -p[2])


def test_duplicate_pairs_skips_pairs_of_one_id() -> None:
    text = "Đề nghị nạo vét kênh Thạch Bàn"
    assert duplicate_pairs([("a", text), ("a", text), ("b", text)]) == [
        ("a", "b", 1.0),
        ("a", "b", 1.0),
    ]


def test_duplicate_pairs_of_few_items() -> None:
    assert duplicate_pairs([]) == []
    assert duplicate_pairs([("a", "đất đai")]) == []
    assert duplicate_pairs([("a", "đất đai"), ("b", "dat dai")]) == [("a", "b", 1.0)]


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.01])
def test_duplicate_pairs_refuses_a_threshold_outside_0_1(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        duplicate_pairs([("a", "x")], threshold)
