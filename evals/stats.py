"""Statistics for evals: Kendall's tau-b, bootstrap confidence intervals, balanced accuracy.

numpy comes with the `evals` extra; it is imported when a statistic is first computed, so the
rest of the command line works without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from writersroom.errors import ConfigError

BOOTSTRAP_SAMPLES = 2000
SEED = 20240


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ConfigError("evals need numpy: pip install 'writersroom[evals]'") from None
    return numpy


@dataclass(frozen=True)
class Estimate:
    """A statistic with its bootstrap 95% confidence interval over `n` items."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b between two paired samples (ties in either handled); None if undefined."""
    np = _numpy()
    taus = _tau_b_rows(np, np.asarray(x, dtype=float), np.asarray(y, dtype=float), None)
    return None if np.isnan(taus[0]) else float(taus[0])


def _tau_b_rows(np: Any, x: Any, y: Any, samples: Any) -> Any:
    """tau-b for each row of index `samples` (or for the whole sample when None)."""
    index = np.arange(len(x))[None, :] if samples is None else samples
    xs, ys = x[index], y[index]  # (rows, n)
    dx = np.sign(xs[:, :, None] - xs[:, None, :])
    dy = np.sign(ys[:, :, None] - ys[:, None, :])
    # Each unordered pair appears twice in the full matrices: the factors cancel in the ratio.
    s = (dx * dy).sum(axis=(1, 2))
    untied_x = (dx != 0).sum(axis=(1, 2))
    untied_y = (dy != 0).sum(axis=(1, 2))
    denominator = np.sqrt(untied_x.astype(float) * untied_y)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, s / np.where(denominator > 0, denominator, 1), np.nan)


def _interval(np: Any, values: Any) -> tuple[float | None, float | None]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None, None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def tau_b_ci(
    x: Sequence[float], y: Sequence[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED
) -> Estimate:
    """tau-b with a percentile bootstrap 95% CI (items resampled with replacement)."""
    np = _numpy()
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(xa)
    if n < 2:
        return Estimate(None, None, None, n)
    value = kendall_tau_b(xa, ya)
    rng = np.random.default_rng(seed)
    taus = []
    for start in range(0, samples, 200):  # chunks keep the (rows, n, n) matrices small
        index = rng.integers(0, n, size=(min(200, samples - start), n))
        taus.append(_tau_b_rows(np, xa, ya, index))
    low, high = _interval(np, np.concatenate(taus))
    return Estimate(value, low, high, n)


def balanced_accuracy(truth: Sequence[int], predicted: Sequence[int]) -> float | None:
    """The mean of the recall of each class (1 and 0), in percent; None if a class is absent."""
    positives = [p for t, p in zip(truth, predicted, strict=True) if t == 1]
    negatives = [p for t, p in zip(truth, predicted, strict=True) if t == 0]
    if not positives or not negatives:
        return None
    recall_1 = sum(1 for p in positives if p == 1) / len(positives)
    recall_0 = sum(1 for p in negatives if p == 0) / len(negatives)
    return 50.0 * (recall_1 + recall_0)


def bootstrap(
    statistic: Callable[[list[int]], float | None],
    n: int,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = SEED,
) -> Estimate:
    """Any statistic of item indexes, with a percentile bootstrap 95% CI."""
    np = _numpy()
    if n == 0:
        return Estimate(None, None, None, 0)
    value = statistic(list(range(n)))
    rng = np.random.default_rng(seed)
    draws = [statistic(list(rng.integers(0, n, size=n))) for _ in range(samples)]
    low, high = _interval(np, np.array([np.nan if d is None else d for d in draws], dtype=float))
    return Estimate(value, low, high, n)


def mean_ci(values: Sequence[float], samples: int = BOOTSTRAP_SAMPLES) -> Estimate:
    """The mean with a bootstrap 95% CI."""
    data = list(values)
    return bootstrap(
        lambda idx: sum(data[i] for i in idx) / len(idx) if idx else None, len(data), samples
    )
