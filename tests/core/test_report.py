"""The report's arithmetic: shares that add up to 100 %, attendance that is unknown until entered,
and which meetings count as held."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.report import Counts, largest_remainder
from server.core.views import Tally

# --- shares ------------------------------------------------------------------------------------

COUNTS = st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=12)
WHOLES = st.sampled_from([100, 1000])


@given(COUNTS, WHOLES)
def test_shares_add_up_to_exactly_the_whole(counts: list[int], whole: int) -> None:
    shares = largest_remainder(counts, whole)
    assert len(shares) == len(counts)
    assert sum(shares) == (whole if sum(counts) else 0)


@given(COUNTS, WHOLES)
def test_each_share_is_its_exact_value_rounded_down_or_up(counts: list[int], whole: int) -> None:
    total = sum(counts)
    for n, share in zip(counts, largest_remainder(counts, whole), strict=True):
        exact = Fraction(n * whole, total) if total else Fraction(0)
        assert exact - 1 < share < exact + 1
        if exact.denominator == 1:
            assert share == exact  # an exact share is never moved


@given(COUNTS, WHOLES)
def test_a_larger_count_never_gets_a_smaller_share(counts: list[int], whole: int) -> None:
    shares = largest_remainder(counts, whole)
    for i, a in enumerate(counts):
        for j, b in enumerate(counts):
            if a > b:
                assert shares[i] >= shares[j]


@given(st.tuples(*(st.integers(min_value=0, max_value=20_000),) * 3))
def test_a_tally_on_screen_adds_up_to_100_percent(counts: tuple[int, int, int]) -> None:
    tally = Tally(counts)
    shown = [tally.share(i) for i in range(3)]
    assert sum(shown) == (100 if tally.total else 0)
    assert list(Counts(*counts).shares()) == shown  # the report says what the screens said


@pytest.mark.parametrize(
    ("counts", "shares"),
    [
        ((1, 1, 1), (34, 33, 33)),  # rounded alone 33 + 33 + 33 = 99; a tie goes to the first
        ((3, 3, 2), (38, 37, 25)),  # 37,5 + 37,5 + 25: rounded alone 38 + 38 + 25 = 101
        ((2, 1, 0), (67, 33, 0)),
        ((16, 4, 2), (73, 18, 9)),
        ((5, 5, 1), (46, 45, 9)),
        ((1, 0, 2), (33, 0, 67)),
        ((0, 0, 0), (0, 0, 0)),  # no votes: no shares, not a made-up 100
        ((7, 0, 0), (100, 0, 0)),
        ((1, 1, 1, 1, 1, 1), (17, 17, 17, 17, 16, 16)),
    ],
)
def test_shares_worked_out_by_hand(counts: tuple[int, ...], shares: tuple[int, ...]) -> None:
    assert largest_remainder(counts) == shares


def test_a_tie_in_remainders_goes_to_the_larger_count() -> None:
    # 27, 6, 9 of 42 in tenths: 642,857 and 142,857 have the same remainder
    assert largest_remainder((27, 6, 9), 1000) == (643, 143, 214)
