/*
 * numfmt.h — numbers as the summary table shows them (sim/cli/numfmt.c): fixed
 * notation with ',' between thousands, a standard error to two
 * significant digits and its mean to the same decimal place.  Pure
 * functions of their arguments: no locale, no state.
 *
 * The rule (docs/cli.md, "Numbers in the table"):
 *   - a standard error se > 0 is rounded to 2 significant digits; its
 *     "place" p is the decimal exponent of the second digit after rounding
 *     (0.0432 -> 0.043, p = -3; 430 -> p = 1; 0.0996 -> 0.10, p = -2);
 *   - the mean is rounded to a multiple of 10^p: 10,843.7 ± 432 ->
 *     "10,840 ± 430", 0.03216 ± 0.0932 -> "0.032 ± 0.093";
 *   - se = 0 (every trial the same): the mean to 4 significant digits,
 *     trailing zeros of the fraction dropped, and "0";
 *   - se undefined (NaN, infinite or negative): the mean to 4 significant
 *     digits and "n/a"; a mean that is NaN or infinite is "n/a";
 *   - a value that rounds to zero is "0" (with the place's decimals), never
 *     "-0";
 *   - in a table, a standard error or a value below SF_FMT_NOISE times the
 *     scale of its row (sf_fmt_mean_se_in) is rounding noise of sums of
 *     doubles, not sampling error, and counts as 0: a stockpile that
 *     avoids exactly 125 t in every trial has a computed se of 1e-14;
 *   - fixed notation covers |x| < 10^21 and places 10^-15 .. 10^20;
 *     beyond that (no scenario within docs/scenarios.md's limits gets
 *     there) the same digits are written in e-notation.
 */
#ifndef SHORTFALL_NUMFMT_H
#define SHORTFALL_NUMFMT_H

#include <limits.h>
#include <stddef.h>

/* Room for any number these functions write, with its terminating NUL. */
#define SF_FMT_LEN 64
/* sf_fmt_se_place of a standard error with no place. */
#define SF_FMT_NO_PLACE INT_MIN

/* The place of se's second significant digit once rounded to two, or
 * SF_FMT_NO_PLACE when se is 0, negative, infinite or NaN. */
int sf_fmt_se_place(double se);

/* x rounded to a multiple of 10^place, fixed notation, thousands
 * separated ("n/a" if x is NaN or infinite).  buf holds n bytes; the
 * result is cut to fit (never more than SF_FMT_LEN - 1 characters). */
void sf_fmt_at_place(double x, int place, char *buf, size_t n);

/* x to sig (1 .. 17) significant digits, fixed notation, thousands
 * separated, trailing zeros of the fraction dropped: 12.5 -> "12.5",
 * 123456 (4) -> "123,500", 0 -> "0". */
void sf_fmt_sig(double x, int sig, char *buf, size_t n);

/* A mean and its standard error by the rule above, each into its own
 * buffer of n bytes (so that a table can line them up at the '±'). */
void sf_fmt_mean_se(double mean, double se, char *mean_buf, char *se_buf,
                    size_t n);

/* Relative size below which a value or standard error is rounding noise. */
#define SF_FMT_NOISE 1e-9

/* sf_fmt_mean_se after setting se, and the mean, to 0 when they are below
 * SF_FMT_NOISE times the larger of |mean| and |scale| (the size of the
 * quantities the mean was computed from, e.g. the baseline's shortfall
 * for a shortfall avoided). */
void sf_fmt_mean_se_in(double mean, double se, double scale, char *mean_buf,
                       char *se_buf, size_t n);

/* A value shown to the precision its standard error warrants: the mean
 * string of sf_fmt_mean_se alone. */
void sf_fmt_by_se(double x, double se, char *buf, size_t n);

/* The shortest decimal form that reads back as the same double ("%.15g",
 * else 16, else 17 digits), for CSV and JSON; "" for NaN or infinity. */
void sf_fmt_exact(double x, char *buf, size_t n);

#endif
