/*
 * numfmt.c — numbers for the summary table and the machine-readable
 * summaries (the rule is in numfmt.h).  Digits come from printf's
 * correctly rounded conversions of the exact binary value, so a standard
 * error's place and its printed digits always agree.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

static void copy_out(const char *s, char *buf, size_t n)
{
    if (n > 0)
        snprintf(buf, n, "%s", s);
}

/* raw, as printf's %f writes it ("-1234567.890"), with ',' between
 * thousands of the integer part; a value of only zeros loses its sign. */
static void group_thousands(const char *raw, char *out, size_t cap)
{
    const char *p = raw;
    size_t k = 0;
    bool neg = *p == '-';
    if (neg)
        p++;
    size_t int_len = strspn(p, "0123456789");
    bool zero = strspn(p, "0.") == strlen(p);
    if (neg && !zero && k + 1 < cap)
        out[k++] = '-';
    for (size_t i = 0; i < int_len && k + 2 < cap; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = p[i];
    }
    out[k] = '\0';
    snprintf(out + k, cap - k, "%s", p + int_len);
}

/* The decimal exponent of |x| as printf rounds it to prec + 1 digits. */
static int exponent_of(double x, int prec)
{
    char s[64];
    snprintf(s, sizeof s, "%.*e", prec, x);
    const char *e = strchr(s, 'e');
    return e ? atoi(e + 1) : 0;
}

/* The e-notation fallback: the digits of x down to 10^place. */
static void at_place_sci(double x, int place, char *out, size_t cap)
{
    if (x == 0.0) {
        snprintf(out, cap, "0");
        return;
    }
    int digits = exponent_of(x, 16) - place; /* after the first */
    if (digits < 0) {
        snprintf(out, cap, "0");
        return;
    }
    snprintf(out, cap, "%.*e", digits > 16 ? 16 : digits, x);
}

void sf_fmt_at_place(double x, int place, char *buf, size_t n)
{
    char raw[128], out[SF_FMT_LEN];
    if (!isfinite(x)) {
        copy_out("n/a", buf, n);
        return;
    }
    if (place < -15 || place > 20 || fabs(x) >= 1e21) {
        at_place_sci(x, place, out, sizeof out);
        copy_out(out, buf, n);
        return;
    }
    if (place <= 0) {
        snprintf(raw, sizeof raw, "%.*f", -place, x);
    } else {
        /* 10^place is exact for place <= 22; |x / 10^place| < 10^20. */
        snprintf(raw, sizeof raw, "%.0f", x / pow(10.0, place));
        if (strcmp(raw, "0") != 0 && strcmp(raw, "-0") != 0) {
            size_t len = strlen(raw);
            for (int i = 0; i < place && len + 1 < sizeof raw; i++)
                raw[len++] = '0';
            raw[len] = '\0';
        }
    }
    group_thousands(raw, out, sizeof out);
    copy_out(out, buf, n);
}

int sf_fmt_se_place(double se)
{
    if (!(se > 0.0) || !isfinite(se))
        return SF_FMT_NO_PLACE;
    /* "4.3e+02": two significant digits, the second at 10^(2 - 1). */
    return exponent_of(se, 1) - 1;
}

void sf_fmt_sig(double x, int sig, char *buf, size_t n)
{
    char out[SF_FMT_LEN];
    if (sig < 1)
        sig = 1;
    if (sig > 17)
        sig = 17;
    if (!isfinite(x)) {
        copy_out("n/a", buf, n);
        return;
    }
    if (x == 0.0) {
        copy_out("0", buf, n);
        return;
    }
    sf_fmt_at_place(x, exponent_of(x, sig - 1) - sig + 1, out, sizeof out);
    if (strchr(out, '.') != NULL && strchr(out, 'e') == NULL) {
        size_t len = strlen(out);
        while (len > 0 && out[len - 1] == '0')
            out[--len] = '\0';
        if (len > 0 && out[len - 1] == '.')
            out[--len] = '\0';
    }
    copy_out(out, buf, n);
}

void sf_fmt_mean_se(double mean, double se, char *mean_buf, char *se_buf,
                    size_t n)
{
    int place = sf_fmt_se_place(se);
    if (place != SF_FMT_NO_PLACE) {
        sf_fmt_at_place(mean, place, mean_buf, n);
        sf_fmt_at_place(se, place, se_buf, n);
    } else {
        sf_fmt_sig(mean, 4, mean_buf, n);
        copy_out(se == 0.0 ? "0" : "n/a", se_buf, n);
    }
}

void sf_fmt_mean_se_in(double mean, double se, double scale, char *mean_buf,
                       char *se_buf, size_t n)
{
    double size = fabs(mean) > fabs(scale) ? fabs(mean) : fabs(scale);
    if (isfinite(size) && isfinite(se) && fabs(se) < SF_FMT_NOISE * size)
        se = 0.0;
    if (isfinite(size) && fabs(mean) < SF_FMT_NOISE * size)
        mean = 0.0;
    sf_fmt_mean_se(mean, se, mean_buf, se_buf, n);
}

void sf_fmt_by_se(double x, double se, char *buf, size_t n)
{
    char se_buf[SF_FMT_LEN];
    sf_fmt_mean_se(x, se, buf, se_buf, n);
}

void sf_fmt_exact(double x, char *buf, size_t n)
{
    char s[40];
    if (!isfinite(x)) {
        copy_out("", buf, n);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, x);
        if (strtod(s, NULL) == x)
            break;
    }
    copy_out(s, buf, n);
}
