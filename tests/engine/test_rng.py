"""The counter-based generator: SplitMix64's published outputs, the prefix-hashed draws the
kernel makes equal to whole-key draws, and the tabulated normal test equal to the exact one."""

import math

import numpy as np
import pytest

from simulator.kernels import rng


def test_mixer_is_splitmix64():
    # SplitMix64 seeded with 0 (Steele, Lea and Flood 2014; the reference C code by Vigna):
    # its first three outputs are the finaliser applied to 1, 2 and 3 times the golden gamma.
    gamma = 0x9E3779B97F4A7C15
    expected = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    for k, value in enumerate(expected, start=1):
        assert int(rng._mix(np.uint64((gamma * k) % 2**64))) == value


def test_prefix_hashed_draws_equal_whole_key_draws():
    # 2,000 random keys, seed 5: the kernel's path key + unit key + event gives the same
    # float as hashing the whole key at once.
    gen = np.random.default_rng(5)
    for seed, stream, path, unit, event in gen.integers(0, 2**40, size=(2_000, 5)):
        whole = rng.uniform(seed, stream, path, unit, event)
        # keys stay uint64, as in the kernel's key arrays
        prefix = np.uint64(rng.path_key(seed, stream, path))
        key = np.uint64(rng.unit_key(prefix, np.uint64(unit)))
        assert rng.uniform_at(key, np.uint64(event)) == whole
        assert 0.0 < whole < 1.0


def test_tabulated_normal_test_gives_the_exact_answer():
    bounds = rng.normal_cdf_bounds()
    gen = np.random.default_rng(11)
    xs = np.concatenate([
        gen.uniform(-9.0, 9.0, 20_000),
        np.arange(-8.0, 8.0 + 1e-9, 1.0 / 256.0),  # the grid points themselves
        [-np.inf, np.inf, -8.0 - 1e-12, 8.0, 8.0 - 1e-12, 37.5, -40.0],
    ])
    for x in xs:
        p = rng.normal_cdf(x)
        # u far off, and u exactly at or a hair either side of Phi(x): the hard cases
        for u in (gen.uniform(), p, np.nextafter(p, 0.0), np.nextafter(p, 1.0), p * 1.5,
                  p * (1 - 1e-10)):
            assert rng.below_normal_cdf(u, x, bounds) == (u < p), (x, u)
    assert rng.below_normal_cdf(0.5, math.nan, bounds) is False


@pytest.mark.parametrize("x", [-3.0, -1.2345, 0.0, 2.5])
def test_bounds_bracket_phi(x):
    bounds = rng.normal_cdf_bounds()
    i = int((x + 8.0) * 256.0)
    assert bounds[0, i] <= rng.normal_cdf(x) <= bounds[1, i + 1]
