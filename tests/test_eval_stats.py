"""The evals' statistics: tau-b against scipy, bootstrap intervals, balanced accuracy."""

from __future__ import annotations

import random

import pytest
from scipy.stats import kendalltau

from writersroom.evals import stats


def _pairs(seed: int, n: int, levels: int) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    x = [rng.randint(1, levels) / 3 for _ in range(n)]  # ties, like means of three raters
    y = [min(5, max(1, round(v * 3 / levels * 5) + rng.randint(-1, 1))) for v in x]
    return x, y


@pytest.mark.parametrize(("seed", "n", "levels"), [(1, 96, 13), (2, 30, 5), (3, 7, 3), (4, 96, 2)])
def test_tau_b_matches_scipy_with_ties(seed: int, n: int, levels: int) -> None:
    x, y = _pairs(seed, n, levels)
    expected = kendalltau(x, y, variant="b").statistic
    assert stats.kendall_tau_b(x, y) == pytest.approx(expected, abs=1e-12)


def test_tau_b_of_known_orders() -> None:
    assert stats.kendall_tau_b([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert stats.kendall_tau_b([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # One discordant pair of six: (5 - 1) / 6.
    assert stats.kendall_tau_b([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx(4 / 6)
    # A constant judge has no ranking at all: undefined, never a number.
    assert stats.kendall_tau_b([1, 2, 3], [3, 3, 3]) is None


def test_tau_b_interval_brackets_the_estimate_and_is_repeatable() -> None:
    x, y = _pairs(5, 96, 13)
    first = stats.tau_b_ci(x, y)
    again = stats.tau_b_ci(x, y)
    assert first == again  # seeded bootstrap
    assert first.n == 96
    assert first.low < first.value < first.high
    assert first.value == pytest.approx(kendalltau(x, y).statistic)
    assert 0.05 < first.high - first.low < 0.6


def test_balanced_accuracy_averages_the_recall_of_both_classes() -> None:
    truth = [1, 1, 1, 1, 0, 0]
    # Recall of 1: 3/4; recall of 0: 1/2.
    assert stats.balanced_accuracy(truth, [1, 1, 1, 0, 0, 1]) == pytest.approx(62.5)
    assert stats.balanced_accuracy(truth, [1] * 6) == pytest.approx(50.0)
    assert stats.balanced_accuracy([1, 1], [1, 0]) is None


def test_mean_interval() -> None:
    estimate = stats.mean_ci([1, 2, 3, 4, 5])
    assert estimate.value == pytest.approx(3.0)
    assert 1 <= estimate.low < 3 < estimate.high <= 5
    assert stats.mean_ci([]).value is None
