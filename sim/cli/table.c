/*
 * table.c — text tables with their columns lined up, for the summaries
 * (sim/cli/table.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

/* Display width of UTF-8 text: its code points ('±' is one column). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; s != NULL && *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void table_init(table *t, size_t ncol)
{
    memset(t, 0, sizeof *t);
    t->ncol = ncol;
    t->head = calloc(ncol, sizeof *t->head);
    t->head2 = calloc(ncol, sizeof *t->head2);
    t->kind = calloc(ncol, sizeof *t->kind);
    t->failed = t->head == NULL || t->head2 == NULL || t->kind == NULL;
}

void table_free(table *t)
{
    for (size_t i = 0; i < t->nrow * t->ncol; i++) {
        free(t->a[i]);
        free(t->b[i]);
    }
    free(t->a);
    free(t->b);
    free(t->head);
    free(t->head2);
    free(t->kind);
    memset(t, 0, sizeof *t);
}

void table_col(table *t, size_t c, const char *head, const char *head2,
                      col_kind kind)
{
    if (!t->failed) {
        t->head[c] = head;
        t->head2[c] = head2 && *head2 ? head2 : NULL;
        t->kind[c] = kind;
    }
}

/* A new row of empty cells; false if out of memory. */
bool table_row(table *t)
{
    if (t->failed)
        return false;
    if (t->nrow == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **a = realloc(t->a, cap * t->ncol * sizeof *a);
        if (a != NULL)
            t->a = a;
        char **b = a ? realloc(t->b, cap * t->ncol * sizeof *b) : NULL;
        if (b != NULL)
            t->b = b;
        if (a == NULL || b == NULL) {
            t->failed = true;
            return false;
        }
        t->cap = cap;
    }
    for (size_t c = 0; c < t->ncol; c++)
        t->a[t->nrow * t->ncol + c] = t->b[t->nrow * t->ncol + c] = NULL;
    t->nrow++;
    return true;
}

/* Sets cell c of the last row (b: the se of a ± cell, else NULL). */
void table_set(table *t, size_t c, const char *a, const char *b)
{
    if (t->failed || t->nrow == 0)
        return;
    size_t i = (t->nrow - 1) * t->ncol + c;
    t->a[i] = strdup(a ? a : "");
    t->b[i] = b ? strdup(b) : NULL;
    if (t->a[i] == NULL || (b && t->b[i] == NULL))
        t->failed = true;
}

static void pad(FILE *f, size_t n)
{
    for (; n > 0; n--)
        fputc(' ', f);
}

void table_print(FILE *f, const table *t)
{
    size_t *w = calloc(3 * (t->ncol ? t->ncol : 1), sizeof *w);
    if (w == NULL || t->head == NULL)
        goto out;
    size_t *wa = w + t->ncol, *wb = w + 2 * t->ncol, heads = 1;
    for (size_t c = 0; c < t->ncol; c++) {
        w[c] = width(t->head[c]);
        if (t->head2[c] != NULL) {
            heads = 2;
            if (width(t->head2[c]) > w[c])
                w[c] = width(t->head2[c]);
        }
        for (size_t r = 0; r < t->nrow; r++) {
            const char *a = t->a[r * t->ncol + c], *b = t->b[r * t->ncol + c];
            if (a && width(a) > wa[c])
                wa[c] = width(a);
            if (b && width(b) > wb[c])
                wb[c] = width(b);
        }
        size_t body =
            t->kind[c] == COL_PM && wb[c] > 0 ? wa[c] + 3 + wb[c] : wa[c];
        if (body > w[c])
            w[c] = body;
    }
    /* Header lines, then rows; two spaces between columns, none at line
     * ends. */
    for (size_t r = 0; r < heads + t->nrow; r++) {
        size_t owed = 0; /* spaces to write before the next text */
        for (size_t c = 0; c < t->ncol; c++) {
            const char *a = r == 0      ? t->head[c]
                            : r < heads ? t->head2[c]
                                        : t->a[(r - heads) * t->ncol + c];
            const char *b = r < heads ? NULL : t->b[(r - heads) * t->ncol + c];
            size_t used = 0;
            if (c > 0)
                owed += 2;
            if (a == NULL || *a == '\0') {
                owed += w[c];
                continue;
            }
            if (t->kind[c] == COL_PM && b != NULL) {
                size_t body = wa[c] + 3 + wb[c];
                pad(f, owed + (w[c] - body) + wa[c] - width(a));
                fprintf(f, "%s ± %s", a, b);
                owed = wb[c] - width(b);
                continue;
            }
            if (t->kind[c] == COL_LEFT) {
                pad(f, owed);
                fputs(a, f);
                used = width(a);
                owed = w[c] - used;
            } else {
                pad(f, owed + w[c] - width(a));
                fputs(a, f);
                owed = 0;
            }
        }
        fputc('\n', f);
    }
out:
    free(w);
}
