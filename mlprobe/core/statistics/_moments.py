"""Per-group power sums of a row quantity, and the moments a mean's interval and test need.

A mean's interval and its slice-vs-rest test use four per-group sums (of the
quantity and its square, cube and fourth power): backends compute sums, so
every backend gets the same interval, and the rest of a slice is all rows'
sums minus the slice's.

Examples
--------
>>> import numpy as np
>>> x = np.array([1.0, 2.0, 2.0, 7.0])
>>> sums = PowerSums.of(x)
>>> float(sums.mean()[0]), float(sums.variance()[0]), round(float(sums.skewness()[0]), 3)
(3.0, 7.333333333333333, 1.813)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SKEW_NOISE", "PowerSums"]

#: a central moment smaller than this share of its power sums' size is rounding noise
SKEW_NOISE = 1e-6


@dataclass(frozen=True)
class PowerSums:
    """``n`` and the sums of ``x``, ``x**2``, ``x**3``, ``x**4`` per group (arrays of shape (G,))."""

    n: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    s3: np.ndarray
    s4: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> PowerSums:
        """The sums of one group of values (for tests and examples)."""
        x = np.asarray(values, dtype=np.float64)
        return cls(*(np.array([float(np.sum(x**p))]) for p in range(5)))

    def minus(self, part: PowerSums) -> PowerSums:
        """The sums of the rows outside ``part`` (``self`` holds all rows)."""
        return PowerSums(
            self.n - part.n,
            self.s1 - part.s1,
            self.s2 - part.s2,
            self.s3 - part.s3,
            self.s4 - part.s4,
        )

    def mean(self) -> np.ndarray:
        """The mean; NaN without rows."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.s1 / self.n

    def variance(self) -> np.ndarray:
        """The sample variance (``n - 1``); NaN below 2 rows."""
        with np.errstate(invalid="ignore", divide="ignore"):
            spread = np.maximum(self.s2 - self.n * self.mean() ** 2, 0.0)
            return np.where(self.n > 1, spread / (self.n - 1), np.nan)

    def _central(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Second, third and fourth central moments (``1/n``), noise-floored."""
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            m = self.s1 / n
            r2, r3, r4 = self.s2 / n, self.s3 / n, self.s4 / n
            m2 = np.maximum(r2 - m**2, 0.0)
            m3 = r3 - 3 * m * r2 + 2 * m**3
            m4 = r4 - 4 * m * r3 + 6 * m**2 * r2 - 3 * m**4
            # raw power sums cancel: two backends adding rows in another order agree on the
            # sums to ~1e-16, but not on a near-0 central moment; below the noise it is 0
            scale3 = np.abs(r3) + 3 * np.abs(m * r2) + 2 * np.abs(m) ** 3
            scale4 = np.abs(r4) + 4 * np.abs(m * r3) + 6 * m**2 * np.abs(r2) + 3 * m**4
            m3 = np.where(np.abs(m3) > SKEW_NOISE * scale3, m3, 0.0)
            m4 = np.where(m4 > SKEW_NOISE * scale4, m4, 0.0)
        return m2, m3, m4

    def third_moment(self) -> np.ndarray:
        """The third central moment ``mean((x - mean)**3)`` (0 within rounding noise)."""
        return self._central()[1]

    def skewness(self) -> np.ndarray:
        """The adjusted sample skewness ``G1 = g1 sqrt(n (n - 1)) / (n - 2)``, ``g1 = m3 / m2**1.5``
        (Joanes & Gill 1998; the plain ``g1`` understates a skewed population's skewness
        in small samples); ``g1`` below 3 rows, 0 without spread."""
        m2, m3, _ = self._central()
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            g1 = np.where(m2 > 0, m3 / m2**1.5, 0.0)
            return np.where(n > 2, g1 * np.sqrt(n * (n - 1)) / (n - 2), g1)

    def excess_kurtosis(self) -> np.ndarray:
        """Joanes & Gill's adjusted excess kurtosis ``G2`` (unbiased for normal data; 0 for
        normal data, positive for heavy tails); the plain ``m4 / m2**2 - 3`` below 4 rows,
        0 without spread."""
        m2, _, m4 = self._central()
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            plain = np.where(m2 > 0, m4 / m2**2 - 3.0, 0.0)
            adjusted = ((n + 1) * plain + 6) * (n - 1) / ((n - 2) * (n - 3))
            return np.where(n > 3, adjusted, plain)

    def degrees_of_freedom(self) -> np.ndarray:
        """Degrees of freedom of the variance estimate, from the sample kurtosis.

        ``Var(s**2) ~ sigma**4 (kurtosis - 1) / n`` (the adjusted sample kurtosis
        ``G2 + 3``) matched to a chi-square's
        ``2 / df``: ``df = 2n / (kurtosis - 1)``, within ``[1, n - 1]``; ``n - 1``
        for normal data (kurtosis 3), fewer for heavy tails, whose variance an
        n-row sample underestimates most of the time.
        """
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            kurtosis = self.excess_kurtosis() + 3
            df = 2 * n / np.maximum(kurtosis - 1, 2.0)
        return np.clip(df, 1.0, np.maximum(n - 1, 1.0))
