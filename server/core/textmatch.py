"""Vietnamese-aware text matching: the diacritics-free search form, search, near-duplicate scores.

Pure: standard library only, no I/O. Every function takes and returns plain strings and numbers.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

# --- folding -------------------------------------------------------------------------------------

# The five Vietnamese tone marks, as combining characters after NFD (huyền, sắc, ngã, hỏi, nặng).
# The other marks (circumflex, breve, horn) change the vowel itself and stay with it.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")

# Per-character tables are memoised, but a text made of every code point must not grow them
# without end: past this size new characters are worked out each time instead of remembered.
_TABLE_LIMIT = 20_000


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def _fold_char(char: str) -> str:
    """One character's search form: folding works character by character (see `fold`)."""
    folded = char
    # Casefolding, decomposing and dropping marks can each expose a character the others change
    # (a casefold that yields a decomposable letter), so repeat until nothing moves.
    while True:
        bare = "".join(
            c for c in unicodedata.normalize("NFD", folded.casefold()) if not _is_mark(c)
        ).replace("đ", "d")
        if bare == folded:
            break
        folded = bare
    return "".join(c if c.isalnum() else " " for c in folded)


def _word_char(char: str) -> str:
    return char if char.isalnum() or _is_mark(char) else " "


class _CharTable(dict[int, str]):
    """A `str.translate` table that works out each character the first time it is seen."""

    def __init__(self, rule: Callable[[str], str]) -> None:
        super().__init__()
        self._rule = rule

    def __missing__(self, code: int) -> str:
        result = self._rule(chr(code))
        if len(self) < _TABLE_LIMIT:
            self[code] = result
        return result


_FOLD_TABLE = _CharTable(_fold_char)
_WORD_TABLE = _CharTable(_word_char)


def fold(text: str) -> str:
    """The search form of `text`: no diacritics, đ→d, casefolded, words separated by one space.

    "Đất đai, tài nguyên" → "dat dai tai nguyen". Casefolding and canonical decomposition map
    each code point on its own and the marks they reorder are dropped, so folding per character
    equals folding the NFD of the whole text, and composed and decomposed input fold alike.
    """
    return " ".join(text.translate(_FOLD_TABLE).split())


def tokens(text: str) -> tuple[str, ...]:
    """The folded words of `text`, in order."""
    return tuple(text.translate(_FOLD_TABLE).split())


@functools.lru_cache(maxsize=16_384)
def _pieces(word: str) -> tuple[str, ...]:
    """The folded words of one word as written: memoised, since words repeat across texts."""
    return tuple(word.translate(_FOLD_TABLE).split())


# --- words that keep their diacritics ------------------------------------------------------------


def _words(text: str) -> list[str]:
    """NFC, casefolded words: runs of letters, digits and the marks that belong to them."""
    return unicodedata.normalize("NFC", text.casefold()).translate(_WORD_TABLE).split()


def _has_diacritics(word: str) -> bool:
    # Marks, not "folding changes it": Hangul syllables decompose into letters, not marks.
    return "đ" in word or any(_is_mark(c) for c in unicodedata.normalize("NFD", word))


def _tone_key(word: str) -> tuple[str, str]:
    """(letters with their vowel marks, tone marks): the same for "hoà" and "hòa".

    Vietnamese is written with the tone on either vowel of some diphthongs ("thuỷ"/"thủy"),
    so a diacritics-sensitive comparison must not depend on where the tone sits.
    """
    decomposed = unicodedata.normalize("NFD", word)
    tones = "".join(c for c in decomposed if c in _TONE_MARKS)
    letters = "".join(c for c in decomposed if c not in _TONE_MARKS)
    return unicodedata.normalize("NFC", letters), tones


def _accented_prefix(query: tuple[str, str], word: tuple[str, str]) -> bool:
    query_letters, query_tones = query
    word_letters, word_tones = word
    # A tone not typed yet is not a tone refused: Vietnamese keyboards add it after the vowels,
    # so "đât" is usually "đất" half typed.
    return word_letters.startswith(query_letters) and (not query_tones or query_tones == word_tones)


# --- search --------------------------------------------------------------------------------------


def matches(query: str, text: str) -> bool:
    """Does every word of `query` begin some word of `text`? Case and word order never matter.

    A query word typed without diacritics matches regardless of diacritics: "dat" finds "đất",
    "đặt" and "đạt" (folding conflates them; that is the point). A query word typed with any
    diacritic (đ included) narrows to that spelling: "đặt" finds "Đặt", not "đất", nor an
    unaccented "dat". Tone marks narrow only once typed ("đât", its tone still to come, finds
    "đất" and "đật", not "đặt"), and count wherever the tone sits ("hòa" finds "hoà").
    The choice is made per word: "đất dai" finds "đất đai". A query with no letters or digits
    (the empty query too) matches everything.
    """
    wanted = _words(query)
    if not wanted:
        return True
    folded_words = tokens(text)
    tone_keys: list[tuple[str, str]] | None = None
    for word in wanted:
        if _has_diacritics(word):
            if tone_keys is None:
                tone_keys = [_tone_key(w) for w in _words(text)]
            key = _tone_key(word)
            if not any(_accented_prefix(key, k) for k in tone_keys):
                return False
        elif not all(any(w.startswith(p) for w in folded_words) for p in _pieces(word)):
            return False
    return True


# --- near duplicates -----------------------------------------------------------------------------

# Words that say nothing about what a question is about. Written with their diacritics: an
# accented word is filler only if it is spelled exactly so ("cho" is filler, "chợ", the market,
# is not); a word written without any diacritics is filler if it folds to one of them.
# Deliberately short: folded, many fillers collide with words that matter ("tôi"/"tối" dark,
# "ông"/"ống" pipe, "để"/"đê" dike, "đến"/"đèn" lamp), and an unaccented copy of a question
# loses every such word its accented twin keeps. Two-word fillers are dropped only as a pair.
_ACCENTED_FILLER_WORDS = frozenset(
    {"của", "và", "các", "cho", "được", "đã", "là", "có", "không", "này", "tại", "về", "với"}
    | {"trong", "những", "người", "dân", "phường", "xin", "hỏi", "ạ", "ơi", "nhé", "bị", "rất"}
    | {"ubnd"}
)
_ACCENTED_FILLER_PAIRS = frozenset(
    {
        ("đề", "nghị"),
        ("kiến", "nghị"),
        ("đề", "xuất"),
        ("ý", "kiến"),
        ("cho", "hỏi"),
        ("chúng", "tôi"),
        ("bà", "con"),
        ("hiện", "nay"),
        ("cảm", "ơn"),
        # The formulas of a petition: "đề nghị UBND phường xem xét giải quyết".
        ("xem", "xét"),
        ("giải", "quyết"),
        ("ủy", "ban"),
        ("uỷ", "ban"),
        ("nhân", "dân"),
        ("chính", "quyền"),
        ("cơ", "quan"),
        ("chức", "năng"),
    }
)
# A folded spelling can only be a plain (unaccented) word, since folding changes accented ones.
_FILLER_WORDS = _ACCENTED_FILLER_WORDS | {fold(w) for w in _ACCENTED_FILLER_WORDS}
_FILLER_PAIRS = _ACCENTED_FILLER_PAIRS | {(fold(a), fold(b)) for a, b in _ACCENTED_FILLER_PAIRS}

# similarity = (3 * word overlap + 2 * trigram overlap) / 5. Shared words carry the meaning;
# trigrams forgive typos and variants ("hẻm 12" vs "hẻm 12a", "Nguyễn" vs "Nguyn"). Integer
# weights keep similarity(x, x) exactly 1.0. The word part is 3/5 of the score, which is what
# lets duplicate_pairs find every pair above a threshold over 2/5 from shared words alone.
_WORD_WEIGHT = 3
_TRIGRAM_WEIGHT = 2
_TOTAL_WEIGHT = _WORD_WEIGHT + _TRIGRAM_WEIGHT

# Different numbers usually mean different places ("hẻm 12" and "hẻm 14", "tổ 5" and "tổ 7"),
# which word overlap alone cannot see. A factor below 1 only lowers scores, so the candidate
# bound in duplicate_pairs stays valid.
_OTHER_NUMBERS_FACTOR = 0.8

DUPLICATE_THRESHOLD = 0.6
"""Near-duplicate opinions score above it, different ones on the same topic below.

On the realistic pairs in tests/core/test_textmatch.py, rewordings, unaccented copies and
reordered copies score 0.67 to 1; the same street or topic with a different request, 0.51 at most.
"""


@functools.lru_cache(maxsize=16_384)
def _piece_trigrams(piece: str) -> tuple[str, ...]:
    # Padded with spaces so a word's start and end count, and whole words never run together:
    # the trigrams of a text do not depend on its word order.
    padded = f" {piece} "
    return tuple(padded[i : i + 3] for i in range(len(padded) - 2))


def _content_words(text: str) -> frozenset[str]:
    """The folded words that carry meaning; all folded words when every one is filler."""
    words = _words(text)
    kept: list[str] = []
    pair_ends = False
    for here, after in itertools.pairwise([*words, ""]):
        if pair_ends:
            pair_ends = False
        elif (here, after) in _FILLER_PAIRS:
            pair_ends = True
        elif here not in _FILLER_WORDS:
            kept.extend(_pieces(here))
    if kept:
        return frozenset(kept)
    # A question made only of filler still equals itself.
    return frozenset(piece for word in words for piece in _pieces(word))


class _Features(NamedTuple):
    words: frozenset[str]
    trigrams: frozenset[str]
    numbers: frozenset[str]


@functools.lru_cache(maxsize=8192)
def _features(text: str) -> _Features:
    # Memoised: duplicate_pairs, and callers that score one text against many, reuse the work.
    words = _content_words(text)
    trigrams: set[str] = set()
    for word in words:
        trigrams.update(_piece_trigrams(word))
    numbers = frozenset(w for w in words if not w.isalpha())  # pieces are alphanumeric
    return _Features(words, frozenset(trigrams), numbers)


def _dice(first: frozenset[str], second: frozenset[str]) -> float:
    total = len(first) + len(second)
    return 2 * len(first & second) / total if total else 0.0


def _number_factor(a: _Features, b: _Features) -> float:
    if a.numbers and b.numbers and a.numbers.isdisjoint(b.numbers):
        return _OTHER_NUMBERS_FACTOR
    return 1.0


def _combine(word_dice: float, trigram_dice: float, factor: float) -> float:
    # The one place the weights meet: duplicate_pairs must compute exactly what similarity does.
    return (_WORD_WEIGHT * word_dice + _TRIGRAM_WEIGHT * trigram_dice) / _TOTAL_WEIGHT * factor


def _score(a: _Features, b: _Features) -> float:
    return _combine(_dice(a.words, b.words), _dice(a.trigrams, b.trigrams), _number_factor(a, b))


def similarity(a: str, b: str) -> float:
    """How alike two opinions are, 0 to 1, ignoring diacritics, case, word order and filler.

    The Dice overlap of their meaningful folded words, blended 3:2 with the Dice overlap of
    those words' character trigrams, times 0.8 when both name numbers and none in common.
    A text with no letters or digits is like nothing (0.0). Symmetric; 1.0 for a text with itself.
    """
    return _score(_features(a), _features(b))


def duplicate_pairs(
    items: Sequence[tuple[str, str]], threshold: float = DUPLICATE_THRESHOLD
) -> list[tuple[str, str, float]]:
    """Every pair of different ids whose texts' similarity is at least `threshold`, best first.

    Each pair is (earlier id, later id, score) in input order; ties keep input order. Exact:
    the same pairs as scoring every pair, but only pairs that can reach the threshold are scored.
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    features = [_features(text) for _, text in items]
    candidates = [(i, j) for i, j in _candidates(features, threshold) if items[i][0] != items[j][0]]
    trigram_masks = _trigram_masks(features, {i for pair in candidates for i in pair})
    found: list[tuple[float, int, int]] = []
    for first, second in candidates:
        a, b = features[first], features[second]
        word_dice, factor = _dice(a.words, b.words), _number_factor(a, b)
        if _combine(word_dice, 1.0, factor) < threshold:
            continue  # even identical trigrams would not lift it: skip comparing them
        shared = (trigram_masks[first] & trigram_masks[second]).bit_count()
        trigram_dice = 2 * shared / (len(a.trigrams) + len(b.trigrams))
        score = _combine(word_dice, trigram_dice, factor)
        if score >= threshold:
            found.append((score, first, second))
    found.sort(key=lambda hit: (-hit[0], hit[1], hit[2]))
    return [(items[i][0], items[j][0], score) for score, i, j in found]


def _trigram_masks(features: Sequence[_Features], needed: set[int]) -> dict[int, int]:
    """Each needed text's trigrams as the bits of one int.

    A pair's overlap is then an AND and a popcount, several times faster than intersecting
    two sets, which counts when a meeting has many candidate pairs.
    """
    bit_of: dict[str, int] = {}
    for item in needed:
        for gram in features[item].trigrams:
            bit_of.setdefault(gram, len(bit_of))
    masks: dict[int, int] = {}
    for item in needed:
        digits = bytearray(len(bit_of) // 8 + 1)
        for gram in features[item].trigrams:
            bit = bit_of[gram]
            digits[bit >> 3] |= 1 << (bit & 7)
        masks[item] = int.from_bytes(digits, "little")
    return masks


def _candidates(features: Sequence[_Features], threshold: float) -> list[tuple[int, int]]:
    """Every index pair (i < j) that could reach `threshold`, from a bound on shared words.

    Trigrams add at most 2/5 to the score, so a pair needs a word Dice of at least
    (5 * threshold - 2) / 3, or (5 * threshold / 0.8 - 2) / 3 when both texts name numbers
    and share none. At a threshold of 2/5 or less trigrams alone can reach it, so then every
    pair sharing a trigram is a candidate.
    """
    least_dice = (_TOTAL_WEIGHT * threshold - _TRIGRAM_WEIGHT) / _WORD_WEIGHT
    if least_dice <= 0:
        return _overlapping([f.trigrams for f in features], 0.0)
    other_numbers = threshold / _OTHER_NUMBERS_FACTOR
    least_dice_other = (_TOTAL_WEIGHT * other_numbers - _TRIGRAM_WEIGHT) / _WORD_WEIGHT
    return _overlapping(
        [f.words for f in features], least_dice, [f.numbers for f in features], least_dice_other
    )


# --- all pairs with enough overlap, bit-parallel --------------------------------------------------


def _overlapping(
    sets: Sequence[frozenset[str]],
    least_dice: float,
    marked: Sequence[frozenset[str]] = (),
    least_dice_marked_apart: float = 0.0,
) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose sets share an element and reach Dice >= least_dice.

    `marked[i]` is a subset of `sets[i]` (the numbers); two sets that both have marked elements
    but share none must reach `least_dice_marked_apart` instead.

    An inverted index whose postings are bitsets (bit b stands for the b-th set by size). For
    each set, adding the postings of its elements into a bit-sliced counter (one int per binary
    digit) counts its overlap with every smaller set at once, in word-wide big-int operations,
    and the sets that share enough come out. A frequent word costs a few such operations
    instead of a pair for each text it is in, so 2,000 texts need no 2,000,000 comparisons.
    """
    order = sorted(range(len(sets)), key=lambda i: len(sets[i]))
    sizes = [len(sets[i]) for i in order]
    postings: dict[str, int] = {}
    have_marked = 0  # bits of the sets so far with a marked element
    pairs: list[tuple[int, int]] = []
    for bit, item in enumerate(order):
        counter: list[int] = []
        own_marked = marked[item] if marked else frozenset()
        share_marked = 0
        for member in sets[item]:
            seen = postings.get(member, 0)
            if seen:
                _add(counter, seen)
                if member in own_marked:
                    share_marked |= seen
            postings[member] = seen | 1 << bit
        if counter:
            hits = _enough(counter, sizes, bit, least_dice)
            if own_marked:
                apart = have_marked & ~share_marked
                hits = hits & ~apart | _enough(counter, sizes, bit, least_dice_marked_apart) & apart
            pairs.extend((min(order[b], item), max(order[b], item)) for b in _bits(hits))
        if own_marked:
            have_marked |= 1 << bit
    return pairs


def _add(counter: list[int], mask: int) -> None:
    """Adds one to the count of every set in `mask` (a ripple-carry adder across the slices)."""
    carry = mask
    for level, digit in enumerate(counter):
        counter[level] = digit ^ carry
        carry &= digit
        if not carry:
            return
    counter.append(carry)


def _enough(counter: list[int], sizes: Sequence[int], bit: int, least_dice: float) -> int:
    """The earlier sets (bits below `bit`) whose overlap reaches Dice >= least_dice."""
    size = sizes[bit]
    hits = 0
    start = 0
    while start < bit:
        other = sizes[start]
        end = bisect.bisect_right(sizes, other, start, bit)
        # Dice = 2 * overlap / (size + other); the epsilon keeps rounding from losing a pair.
        least = max(1, math.ceil(least_dice * (size + other) / 2 - 1e-9))
        span = (1 << end) - (1 << start)
        hits |= _at_least(counter, least) & span
        start = end
    return hits


def _at_least(counter: list[int], least: int) -> int:
    """Positions whose bit-sliced count is >= least, comparing digits from the top."""
    if least >> len(counter):
        return 0
    above = 0  # counts already known to be greater
    equal = -1  # counts equal to `least` in every digit so far (all positions)
    for level in reversed(range(len(counter))):
        digit = counter[level]
        if least >> level & 1:
            equal &= digit
        else:
            above |= equal & digit
            equal &= ~digit
    return above | equal


def _bits(mask: int) -> Iterator[int]:
    digits = bin(mask)[:1:-1]  # least significant first
    position = digits.find("1")
    while position >= 0:
        yield position
        position = digits.find("1", position + 1)
