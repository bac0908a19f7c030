"""Small-sample statistics for weekly shares: Wilson intervals, two-proportion tests, smoothing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import norm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

Z_95 = 1.959963984540054


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials; (nan, nan) when n is 0.

    Unlike the normal approximation it stays inside [0, 1] and is honest at k=0 or k=n,
    which is what small weeks look like.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class ProportionTest:
    """A two-sided two-proportion z-test of this week's share against a reference share."""

    k: int
    n: int
    k_ref: int
    n_ref: int
    z: float
    p_value: float

    @property
    def diff(self) -> float:
        return self.k / self.n - self.k_ref / self.n_ref


def two_proportion_test(k: int, n: int, k_ref: int, n_ref: int) -> ProportionTest | None:
    """z-test with pooled variance (statsmodels proportions_ztest); None when either n is 0.

    When both samples have share 0 (or both 1) the pooled variance is 0 and there is no
    evidence of a difference: z=0, p=1, rather than the nan statsmodels would warn about.
    """
    if n <= 0 or n_ref <= 0:
        return None
    pooled = (k + k_ref) / (n + n_ref)
    if pooled in (0.0, 1.0):
        return ProportionTest(k, n, k_ref, n_ref, 0.0, 1.0)
    z, p_value = proportions_ztest([k, k_ref], [n, n_ref], alternative="two-sided")
    return ProportionTest(k, n, k_ref, n_ref, float(z), float(p_value))


@dataclass(frozen=True)
class DifferenceTest:
    """A two-sided z-test of the difference of two estimates with known standard errors."""

    share: float
    se: float
    share_ref: float
    se_ref: float
    z: float
    p_value: float

    @property
    def diff(self) -> float:
        return self.share - self.share_ref


def uncertain_difference_test(share: float, se: float, share_ref: float, se_ref: float) -> DifferenceTest:
    """z = (a - b) / sqrt(se_a^2 + se_b^2), two-sided normal p: for corrected shares, whose
    standard errors include the labeller's measured errors as well as sampling noise. Two
    estimates without any uncertainty that agree give z=0, p=1; that differ, p=0."""
    spread = math.hypot(se, se_ref)
    diff = share - share_ref
    if spread == 0:
        z = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    else:
        z = diff / spread
    return DifferenceTest(share, se, share_ref, se_ref, float(z), float(2 * norm.sf(abs(z))))


def adjust_p_values(
    p_values: Sequence[float], method: str = "holm", alpha: float = 0.05
) -> tuple[list[bool], list[float]]:
    """Correct for testing every frame at once: (reject, adjusted p) per input, in order."""
    if not p_values:
        return [], []
    reject, adjusted, _, _ = multipletests(list(p_values), alpha=alpha, method=method)
    return [bool(r) for r in reject], [float(p) for p in adjusted]


def pooled_smooth(
    k: Sequence[int], n: Sequence[int], half_width: int = 1, min_n: int = 1
) -> list[float]:
    """Centred moving share: sum of k over sum of n in a window of 2*half_width+1 weeks.

    Summing counts (not averaging shares) weights each week by its articles, so a tiny week
    cannot yank the line; a window with fewer than `min_n` articles gives nan.
    """
    if len(k) != len(n):
        raise ValueError("k and n must have the same length")
    smoothed = []
    for i in range(len(k)):
        lo, hi = max(0, i - half_width), min(len(k), i + half_width + 1)
        total_n = sum(n[lo:hi])
        smoothed.append(sum(k[lo:hi]) / total_n if total_n >= max(min_n, 1) else math.nan)
    return smoothed


def median(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
