"""The twin's plain-Python generator gives the kernel's numbers, bit for bit: the hashes, the
uniforms and the normal distribution function and its inverse."""

import math

import numpy as np
import pytest

from simulator.kernels import rng as kernel
from simulator.validation import twin_rng as twin

KEYS = [  # (seed, stream, path, unit, event): small, large, and redraw units (id + g x 2**40)
    (0, twin.MISS, 0, 0, 0),
    (20261129, twin.CURE, 3, 1_234_567, 400),
    (2**63 - 1, twin.LEGAL, 9_999_999, 17 + 3 * (1 << 40), 0),
    (7, twin.UNEMPLOYMENT, 1, 999_999_999_999, 35),
    (1, twin.REDRAW, 0, 5 + (1 << 40), 364),
]


@pytest.mark.parametrize("key", KEYS)
def test_uniform_and_its_parts_equal_the_kernel(key):
    seed, stream, path, unit, event = key
    assert twin.path_key(seed, stream, path) == int(kernel.path_key(seed, stream, path))
    prefix = twin.path_key(seed, stream, path)
    assert twin.unit_key(prefix, unit) == int(kernel.unit_key(np.uint64(prefix), unit))
    assert twin.uniform(*key) == kernel.uniform(*key)
    assert 0.0 < twin.uniform(*key) < 1.0


def test_many_uniforms_equal_the_kernel():
    gen = np.random.default_rng(11)
    for _ in range(2_000):
        key = (int(gen.integers(0, 2**62)), int(gen.integers(1, 11)), int(gen.integers(0, 10**6)),
               int(gen.integers(0, 2**50)), int(gen.integers(-400, 4000)))
        if key[4] < 0:  # events are days or months: never negative; keep the key valid
            key = key[:4] + (-key[4],)
        assert twin.uniform(*key) == kernel.uniform(*key), key


def test_streams_are_the_kernels():
    for name in ("MISS", "CURE", "PREPAY", "UNEMPLOYMENT", "MACRO", "BOOK", "REDRAW",
                 "RESTRUCTURE", "LEGAL", "SCORE"):
        assert getattr(twin, name) == getattr(kernel, name)


def test_normal_ppf_and_cdf_equal_the_kernel_bit_for_bit():
    gen = np.random.default_rng(5)
    ps = np.concatenate([gen.random(3_000), 10.0 ** -gen.uniform(1, 15, 500),
                         1 - 10.0 ** -gen.uniform(1, 15, 500),
                         [0.02425, 1 - 0.02425, 0.5, 1e-300, 0.0, 1.0]])
    for p in ps.tolist():
        assert twin.normal_ppf(p) == kernel.normal_ppf(p), p
    for x in np.concatenate([gen.normal(0, 3, 3_000), [-40.0, -8.0, 0.0, 8.0, 40.0]]).tolist():
        assert twin.normal_cdf(x) == kernel.normal_cdf(x), x
    assert twin.normal_ppf(0.0) == -math.inf and twin.normal_ppf(1.0) == math.inf


def test_the_kernels_tabulated_cdf_test_agrees_with_the_plain_comparison():
    # The kernel decides u < Phi(x) through a table with a margin; the twin compares directly.
    bounds = kernel.normal_cdf_bounds()
    gen = np.random.default_rng(8)
    for u, x in zip(gen.random(5_000).tolist(), gen.normal(0, 2.5, 5_000).tolist(), strict=True):
        assert kernel.below_normal_cdf(u, x, bounds) == (u < twin.normal_cdf(x))
        # and at the edge, where the table cannot decide: u one step either side of Phi(x)
        p = twin.normal_cdf(x)
        for v in (p, math.nextafter(p, 0.0), math.nextafter(p, 1.0)):
            assert kernel.below_normal_cdf(v, x, bounds) == (v < p)
