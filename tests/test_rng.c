/*
 * test_rng.c — Philox4x32-10 against Random123's published vectors, the
 * GSL adapter path against philox4x32 called directly per the layout in
 * include/shortfall/rng.h, stream independence and a uniformity check.
 */
#include <signal.h>
#include <stdint.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <gsl/gsl_cdf.h>
#include <Random123/philox.h>

#include "shortfall/rng.h"

static sf_rng rng;

static void setup(void)
{
    cr_assert_eq(sf_rng_init(&rng), 0);
}

static void teardown(void)
{
    sf_rng_free(&rng);
}

TestSuite(rng, .init = setup, .fini = teardown);

/* Known-answer vectors from Random123's kat_vectors (philox4x32, 10
 * rounds): counter, key -> output. */
Test(rng, philox_known_answers)
{
    static const struct {
        uint32_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
         {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
         {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        philox4x32_ctr_t c = {{kat[i].ctr[0], kat[i].ctr[1], kat[i].ctr[2],
                               kat[i].ctr[3]}};
        philox4x32_key_t k = {{kat[i].key[0], kat[i].key[1]}};
        philox4x32_ctr_t out = philox4x32(c, k);
        for (int w = 0; w < 4; w++)
            cr_expect_eq(out.v[w], kat[i].out[w],
                         "vector %zu word %d: got %08x, want %08x", i, w,
                         out.v[w], kat[i].out[w]);
    }
}

/* The expected outputs of a stream, from the documented layout alone:
 * block j has counter {j, purpose<<24 | b, trial_hi<<24 | a, trial_lo
 * (+ j when the third word is 0)} and yields words v[3], v[2], v[1], v[0]. */
static void expected_words(uint64_t seed, uint64_t trial, unsigned purpose,
                           uint32_t a, uint32_t b, uint32_t *out, int n)
{
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    uint32_t w2 = (uint32_t)(trial >> 32) << 24 | a;
    for (int i = 0; i < n; i++) {
        uint32_t j = (uint32_t)(i / 4 + 1);
        uint32_t w3 = (uint32_t)trial + (w2 == 0 ? j : 0);
        philox4x32_ctr_t c = {{j, (uint32_t)purpose << 24 | b, w2, w3}};
        philox4x32_ctr_t r = philox4x32(c, k);
        out[i] = r.v[3 - i % 4];
    }
}

static void check_adapter(uint64_t seed, uint64_t trial, unsigned purpose,
                          uint32_t a, uint32_t b)
{
    enum { N = 4 * 5 + 3 }; /* several blocks and a partial one */
    uint32_t want[N];
    expected_words(seed, trial, purpose, a, b, want, N);
    sf_rng_set(&rng, seed, trial, purpose, a, b);
    for (int i = 0; i < N; i++) {
        unsigned long got = gsl_rng_get(rng.gsl);
        cr_expect_eq(got, want[i], "draw %d: got %08lx, want %08x", i, got,
                     want[i]);
    }
    /* gsl_rng_uniform is the same word over 2^32 */
    sf_rng_set(&rng, seed, trial, purpose, a, b);
    for (int i = 0; i < N; i++)
        cr_expect_eq(gsl_rng_uniform(rng.gsl), want[i] / 4294967296.0);
    cr_expect_eq(sf_rng_uniform_at(seed, trial, purpose, a, b),
                 want[0] / 4294967296.0);
}

Test(rng, adapter_matches_layout)
{
    /* every field at full width */
    check_adapter(UINT64_C(0xfedcba9876543210), UINT64_C(0xab12345678),
                  SF_RNG_DEMAND, 0xabcdef, 0x123456);
    check_adapter(UINT64_MAX, SF_RNG_TRIAL_LIMIT - 1, SF_RNG_PURPOSE_LIMIT - 1,
                  SF_RNG_INDEX_LIMIT - 1, SF_RNG_INDEX_LIMIT - 1);
    /* third counter word 0 (a = 0, trial < 2^32): the adapter's carry
     * quirk advances the fourth word with every block */
    check_adapter(1, 0, SF_RNG_ONSET, 0, 0);
    check_adapter(42, 0xffffffffu, SF_RNG_REGIME, 0, 7); /* wraps at j = 1 */
    /* trial >= 2^32 with a = 0: third word nonzero, no quirk */
    check_adapter(42, UINT64_C(1) << 32, SF_RNG_REGIME, 0, 7);
}

Test(rng, uniform_at_matches_gsl_path)
{
    for (uint32_t i = 0; i < 2000; i++) {
        uint64_t seed = UINT64_C(0x9e3779b97f4a7c15) * i;
        uint64_t trial = (UINT64_C(0x5851f42d) * i) % SF_RNG_TRIAL_LIMIT;
        unsigned purpose = 1 + i % 255;
        uint32_t a = i % 3 ? (i * 7919u) % SF_RNG_INDEX_LIMIT : 0;
        uint32_t b = (i * 104729u) % SF_RNG_INDEX_LIMIT;
        sf_rng_set(&rng, seed, trial, purpose, a, b);
        cr_assert_eq(gsl_rng_uniform(rng.gsl),
                     sf_rng_uniform_at(seed, trial, purpose, a, b), "i = %u",
                     i);
    }
}

Test(rng, same_inputs_same_sequence)
{
    double x[100];
    sf_rng_set(&rng, 7, 12345, SF_RNG_EPISODE, 3, 17);
    for (int i = 0; i < 100; i++)
        x[i] = gsl_rng_uniform(rng.gsl);
    sf_rng other;
    cr_assert_eq(sf_rng_init(&other), 0);
    sf_rng_set(&other, 7, 12345, SF_RNG_EPISODE, 3, 17);
    for (int i = 0; i < 100; i++)
        cr_expect_eq(gsl_rng_uniform(other.gsl), x[i], "draw %d", i);
    sf_rng_free(&other);
}

Test(rng, every_coordinate_changes_the_first_draw)
{
    const uint64_t seed = UINT64_C(0x0123456789abcdef), trial = 1000;
    const unsigned purpose = SF_RNG_EPISODE; /* ^ 1 and ^ 128 stay valid */
    const uint32_t a = 5, b = 11;
    double base = sf_rng_uniform_at(seed, trial, purpose, a, b);
    /* low and high bits of each coordinate */
    double changed[] = {
        sf_rng_uniform_at(seed ^ 1, trial, purpose, a, b),
        sf_rng_uniform_at(seed ^ (UINT64_C(1) << 63), trial, purpose, a, b),
        sf_rng_uniform_at(seed, trial ^ 1, purpose, a, b),
        sf_rng_uniform_at(seed, trial ^ (UINT64_C(1) << 39), purpose, a, b),
        sf_rng_uniform_at(seed, trial, purpose ^ 1, a, b),
        sf_rng_uniform_at(seed, trial, purpose ^ 128, a, b),
        sf_rng_uniform_at(seed, trial, purpose, a ^ 1, b),
        sf_rng_uniform_at(seed, trial, purpose, a ^ (1u << 23), b),
        sf_rng_uniform_at(seed, trial, purpose, a, b ^ 1),
        sf_rng_uniform_at(seed, trial, purpose, a, b ^ (1u << 23)),
    };
    for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++)
        cr_expect_neq(changed[i], base, "change %zu", i);
}

Test(rng, streams_independent_of_call_order)
{
    sf_rng_set(&rng, 3, 10, SF_RNG_DEMAND, 2, 4);
    double x1 = gsl_rng_uniform(rng.gsl);
    double x2 = gsl_rng_uniform(rng.gsl);
    sf_rng_set(&rng, 3, 11, SF_RNG_DEMAND, 2, 4);
    double y1 = gsl_rng_uniform(rng.gsl);
    /* leave Y part-way through a block, then come back to X */
    sf_rng_set(&rng, 3, 10, SF_RNG_DEMAND, 2, 4);
    cr_expect_eq(gsl_rng_uniform(rng.gsl), x1);
    cr_expect_eq(gsl_rng_uniform(rng.gsl), x2);
    /* and Y from the start again, after many draws of X */
    for (int i = 0; i < 1000; i++)
        gsl_rng_uniform(rng.gsl);
    sf_rng_set(&rng, 3, 11, SF_RNG_DEMAND, 2, 4);
    cr_expect_eq(gsl_rng_uniform(rng.gsl), y1);
}

/* Pearson's chi-square over K equal bins.  For n = 10^5 uniforms and
 * K = 100 bins (1000 expected per bin, far above the usual >= 5 rule),
 * the statistic is chi-square with K - 1 = 99 degrees of freedom; we
 * reject above its 99.9% quantile, gsl_cdf_chisq_Qinv(1e-3, 99) = 148.2,
 * so a correct generator fails a given fixed stream with probability
 * 1e-3 (and, the streams being fixed, then fails every time: the seeds
 * below pass). */
static void check_chisq(const double *u, size_t n)
{
    enum { K = 100 };
    size_t count[K] = {0};
    for (size_t i = 0; i < n; i++) {
        cr_assert(u[i] >= 0 && u[i] < 1, "u[%zu] = %g", i, u[i]);
        count[(size_t)(u[i] * K)]++;
    }
    double expect = (double)n / K, chi2 = 0;
    for (int k = 0; k < K; k++)
        chi2 += (count[k] - expect) * (count[k] - expect) / expect;
    double crit = gsl_cdf_chisq_Qinv(1e-3, K - 1);
    cr_expect_lt(chi2, crit, "chi-square %g over 99.9%% critical %g", chi2,
                 crit);
}

Test(rng, uniformity_within_a_stream)
{
    enum { N = 100000 };
    static double u[N];
    sf_rng_set(&rng, 1, 0, SF_RNG_TEST, 0, 0);
    for (size_t i = 0; i < N; i++)
        u[i] = gsl_rng_uniform(rng.gsl);
    check_chisq(u, N);
}

/* What the simulator mostly does: one uniform from each of many streams. */
Test(rng, uniformity_across_streams)
{
    enum { N = 100000 };
    static double u[N];
    for (size_t i = 0; i < N; i++)
        u[i] = sf_rng_uniform_at(1, i / 100, SF_RNG_ONSET, 0,
                                 (uint32_t)(i % 100));
    check_chisq(u, N);
}

/* Seed 1, trial 261144500, purpose 1, a = 1, b = 0 has word v[1] of its
 * first block equal to 0 (found by a search over trials with philox4x32),
 * so its third uniform is exactly 0. */
Test(rng, uniform_pos_skips_zero)
{
    const uint64_t trial = 261144500;
    uint32_t w[4];
    expected_words(1, trial, SF_RNG_ONSET, 1, 0, w, 4);
    cr_assert_eq(w[2], 0u);
    sf_rng_set(&rng, 1, trial, SF_RNG_ONSET, 1, 0);
    double u0 = gsl_rng_uniform(rng.gsl), u1 = gsl_rng_uniform(rng.gsl);
    cr_expect_eq(gsl_rng_uniform(rng.gsl), 0.0);
    /* _pos returns the same values but skips the 0 */
    sf_rng_set(&rng, 1, trial, SF_RNG_ONSET, 1, 0);
    cr_expect_eq(gsl_rng_uniform_pos(rng.gsl), u0);
    cr_expect_eq(gsl_rng_uniform_pos(rng.gsl), u1);
    double u3 = gsl_rng_uniform_pos(rng.gsl);
    cr_expect_gt(u3, 0.0);
    cr_expect_eq(u3, w[3] / 4294967296.0);
    /* and never 0 on a long run */
    sf_rng_set(&rng, 1, 0, SF_RNG_TEST, 0, 0);
    for (int i = 0; i < 100000; i++)
        cr_assert_gt(gsl_rng_uniform_pos(rng.gsl), 0.0);
}

Test(rng, type_name_and_range)
{
    cr_expect_str_eq(gsl_rng_name(rng.gsl), "sf_philox4x32");
    cr_expect_eq(gsl_rng_min(rng.gsl), 0ul);
    cr_expect_eq(gsl_rng_max(rng.gsl), 0xfffffffful);
}

Test(rng, free_is_safe_on_zeroed_and_twice)
{
    sf_rng r = {0};
    sf_rng_free(&r);
    cr_assert_eq(sf_rng_init(&r), 0);
    sf_rng_free(&r);
    sf_rng_free(&r);
}

/* Out-of-range coordinates are a bug: sf_bug_assert aborts.  Its message
 * is expected here, so stderr is kept out of the log. */
Test(rng, purpose_zero_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    sf_rng_uniform_at(1, 0, 0, 0, 0);
}

Test(rng, index_too_large_aborts, .signal = SIGABRT,
     .init = cr_redirect_stderr)
{
    sf_rng r;
    cr_assert_eq(sf_rng_init(&r), 0);
    sf_rng_set(&r, 1, 0, SF_RNG_ONSET, SF_RNG_INDEX_LIMIT - 1, 0); /* fine */
    sf_rng_set(&r, 1, 0, SF_RNG_ONSET, SF_RNG_INDEX_LIMIT, 0);
}

Test(rng, trial_too_large_aborts, .signal = SIGABRT,
     .init = cr_redirect_stderr)
{
    sf_rng_uniform_at(1, SF_RNG_TRIAL_LIMIT, SF_RNG_ONSET, 0, 0);
}
