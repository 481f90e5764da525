/*
 * test_numfmt.c — the summary table's numbers (sim/numfmt.h): standard
 * errors to two significant digits, means to the same place, fixed
 * notation with thousands separators, and the edge cases: se = 0,
 * se >= mean, very small and very large values, negative values, NaN and
 * infinities.  Expected strings are worked out by hand from the rule.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "numfmt.h"

static void mean_se_is(double mean, double se, const char *want_mean,
                       const char *want_se)
{
    char m[SF_FMT_LEN], s[SF_FMT_LEN];
    sf_fmt_mean_se(mean, se, m, s, sizeof m);
    cr_expect_str_eq(m, want_mean, "mean of (%.17g, %.17g): got '%s'", mean, se,
                     m);
    cr_expect_str_eq(s, want_se, "se of (%.17g, %.17g): got '%s'", mean, se, s);
}

static void sig_is(double x, int sig, const char *want)
{
    char b[SF_FMT_LEN];
    sf_fmt_sig(x, sig, b, sizeof b);
    cr_expect_str_eq(b, want, "%.17g to %d digits: got '%s'", x, sig, b);
}

Test(numfmt, se_place_is_that_of_the_second_significant_digit)
{
    cr_expect_eq(sf_fmt_se_place(0.0432), -3);
    cr_expect_eq(sf_fmt_se_place(430), 1);
    cr_expect_eq(sf_fmt_se_place(432), 1);
    cr_expect_eq(sf_fmt_se_place(2.3), -1);
    cr_expect_eq(sf_fmt_se_place(1), -1);
    cr_expect_eq(sf_fmt_se_place(10), 0);
    /* Rounding to two digits can carry into a third: 0.0996 -> 0.10,
     * 99.7 -> 100 (1.0e2), 9.96e-10 -> 1.0e-9. */
    cr_expect_eq(sf_fmt_se_place(0.0996), -2);
    cr_expect_eq(sf_fmt_se_place(99.7), 1);
    cr_expect_eq(sf_fmt_se_place(9.96e-10), -10);
    cr_expect_eq(sf_fmt_se_place(1e-300), -301);
    cr_expect_eq(sf_fmt_se_place(3.4e15), 14);
}

Test(numfmt, no_place_without_a_positive_finite_se)
{
    cr_expect_eq(sf_fmt_se_place(0.0), SF_FMT_NO_PLACE);
    cr_expect_eq(sf_fmt_se_place(-0.0), SF_FMT_NO_PLACE);
    cr_expect_eq(sf_fmt_se_place(-1.5), SF_FMT_NO_PLACE);
    cr_expect_eq(sf_fmt_se_place(NAN), SF_FMT_NO_PLACE);
    cr_expect_eq(sf_fmt_se_place(INFINITY), SF_FMT_NO_PLACE);
}

Test(numfmt, mean_rounded_to_the_place_of_its_se)
{
    mean_se_is(165.734, 2.31, "165.7", "2.3");
    mean_se_is(10843.7, 432, "10,840", "430");
    mean_se_is(70.85, 1.8, "70.8", "1.8"); /* 70.85 is 70.8499... in binary */
    mean_se_is(94.86, 0.8, "94.86", "0.80");
    mean_se_is(0.5, 0.0996, "0.50", "0.10");
    mean_se_is(1234.5, 99.7, "1,230", "100");
    mean_se_is(1234567.891, 0.012, "1,234,567.891", "0.012");
    mean_se_is(0.0, 0.0012, "0.0000", "0.0012");
}

Test(numfmt, se_larger_than_the_mean)
{
    mean_se_is(0.03216, 0.0932, "0.032", "0.093");
    mean_se_is(7, 430, "10", "430");
    mean_se_is(4, 430, "0", "430");
    mean_se_is(0.2, 5, "0.2", "5.0");
}

Test(numfmt, negative_values_and_no_negative_zero)
{
    mean_se_is(-94.86, 0.8, "-94.86", "0.80");
    mean_se_is(-12345.6, 78, "-12,346", "78");
    mean_se_is(-3, 430, "0", "430");
    mean_se_is(-0.00001, 0.01, "0.000", "0.010");
    mean_se_is(-1234567.0, 25000, "-1,235,000", "25,000");
}

Test(numfmt, se_zero_gives_four_significant_digits)
{
    mean_se_is(165.7, 0.0, "165.7", "0");
    mean_se_is(0.0, 0.0, "0", "0");
    mean_se_is(12.5, 0.0, "12.5", "0");
    mean_se_is(123456, 0.0, "123,500", "0");
    mean_se_is(48.0, 0.0, "48", "0");
}

Test(numfmt, undefined_se_or_mean)
{
    mean_se_is(165.734, NAN, "165.7", "n/a");
    mean_se_is(165.734, -2.0, "165.7", "n/a");
    mean_se_is(165.734, INFINITY, "165.7", "n/a");
    mean_se_is(NAN, 2.3, "n/a", "2.3");
    mean_se_is(INFINITY, 2.3, "n/a", "2.3");
    mean_se_is(-INFINITY, 0.0, "n/a", "0");
    mean_se_is(NAN, NAN, "n/a", "n/a");
}

Test(numfmt, very_small_values_in_fixed_notation)
{
    mean_se_is(1.2341e-7, 5.6e-9, "0.0000001234", "0.0000000056");
    mean_se_is(3e-12, 4.4e-14, "0.000000000003000", "0.000000000000044");
    sig_is(-0.000123456, 4, "-0.0001235");
}

Test(numfmt, very_large_values_in_fixed_notation)
{
    mean_se_is(1.2345e12, 3.4e9, "1,234,500,000,000", "3,400,000,000");
    mean_se_is(9.87654e17, 1.2e15, "987,700,000,000,000,000",
               "1,200,000,000,000,000");
    sig_is(123456789.0, 4, "123,500,000");
}

Test(numfmt, beyond_fixed_notation_the_same_digits_in_e_notation)
{
    /* Places below 10^-15 and values of 10^21 and more. */
    mean_se_is(1.23e-20, 4.5e-22, "1.230e-20", "4.5e-22");
    mean_se_is(2.5e22, 3.1e20, "2.500e+22", "310,000,000,000,000,000,000");
}

Test(numfmt, significant_digits)
{
    sig_is(404.3, 4, "404.3");
    sig_is(0.0473, 4, "0.0473");
    sig_is(9.99996, 4, "10");
    sig_is(123456, 4, "123,500");
    sig_is(1000, 4, "1,000");
    sig_is(0.15, 6, "0.15");
    sig_is(3, 6, "3");
    sig_is(0.0, 4, "0");
    sig_is(-0.0, 4, "0");
    sig_is(NAN, 4, "n/a");
    sig_is(-INFINITY, 4, "n/a");
}

Test(numfmt, by_se_is_the_mean_alone)
{
    char b[SF_FMT_LEN];
    sf_fmt_by_se(0.902, 0.0054, b, sizeof b);
    cr_expect_str_eq(b, "0.9020");
    sf_fmt_by_se(1.0, 0.0, b, sizeof b);
    cr_expect_str_eq(b, "1");
}

Test(numfmt, exact_reads_back_as_the_same_double)
{
    char b[SF_FMT_LEN];
    const double xs[] = {0.1,      1.0 / 3.0, 165.73333333333332,
                         -94.86,   1e-300,    1.7976931348623157e308,
                         4.9e-324, 0.0};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        sf_fmt_exact(xs[i], b, sizeof b);
        cr_expect_eq(strtod(b, NULL), xs[i], "%.17g written as '%s'", xs[i], b);
    }
    sf_fmt_exact(0.1, b, sizeof b);
    cr_expect_str_eq(b, "0.1");
    sf_fmt_exact(NAN, b, sizeof b);
    cr_expect_str_eq(b, "");
    sf_fmt_exact(INFINITY, b, sizeof b);
    cr_expect_str_eq(b, "");
}

Test(numfmt, small_buffers_are_not_overrun)
{
    char b[8];
    memset(b, 'x', sizeof b);
    sf_fmt_at_place(1234567.891, -3, b, 4);
    cr_expect_eq(strlen(b), 3);
    cr_expect_eq(b[4], 'x');
    sf_fmt_sig(-1.5e300, 17, b, 6);
    cr_expect_eq(strlen(b), 5);
}

Test(numfmt, rounding_noise_counts_as_zero)
{
    char m[SF_FMT_LEN], s[SF_FMT_LEN];
    /* A stockpile that avoids exactly 125 in every trial: the sums leave
     * an se of 1e-14 and a mean off in its 15th digit. */
    sf_fmt_mean_se_in(125.000000000000099, 2.7e-14, 0.0, m, s, sizeof m);
    cr_expect_str_eq(m, "125");
    cr_expect_str_eq(s, "0");
    /* A difference of 6e-15 against a baseline of 2279 is none. */
    sf_fmt_mean_se_in(-6.1e-15, 3.7e-15, 2279.15, m, s, sizeof m);
    cr_expect_str_eq(m, "0");
    cr_expect_str_eq(s, "0");
    /* Not noise: one part in 10^8. */
    sf_fmt_mean_se_in(125.0, 1.25e-6, 0.0, m, s, sizeof m);
    cr_expect_str_eq(m, "125.0000000");
    cr_expect_str_eq(s, "0.0000013");
    /* No scale, no noise rule: small numbers stay. */
    sf_fmt_mean_se_in(3e-12, 4.4e-14, 0.0, m, s, sizeof m);
    cr_expect_str_eq(m, "0.000000000003000");
    sf_fmt_mean_se_in(NAN, 2.3, 1.0, m, s, sizeof m);
    cr_expect_str_eq(m, "n/a");
    cr_expect_str_eq(s, "2.3");
}
