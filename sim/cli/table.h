/*
 * table.h — a text table with its columns lined up: cells are text,
 * left- or right-aligned, or "mean ± se" pairs aligned on the ±; widths
 * count UTF-8 code points.  Out of memory, a table is printed as far as it
 * got (failed is set).
 */
#ifndef SHORTFALL_CLI_TABLE_H
#define SHORTFALL_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { COL_LEFT, COL_RIGHT, COL_PM } col_kind;

typedef struct {
    size_t ncol, nrow, cap;
    const char **head, **head2; /* head2: a second header line (units) */
    col_kind *kind;
    char **a, **b; /* [row * ncol + col]; b: the se of a COL_PM cell */
    bool failed;   /* out of memory: the table is printed as far as it got */
} table;

void table_init(table *t, size_t ncol);
void table_free(table *t);
/* Column c's header, second header line (units; NULL for none) and kind. */
void table_col(table *t, size_t c, const char *head, const char *head2,
               col_kind kind);
/* A new row of empty cells; false if out of memory. */
bool table_row(table *t);
/* Sets cell c of the last row (b: the se of a ± cell, else NULL). */
void table_set(table *t, size_t c, const char *a, const char *b);
void table_print(FILE *f, const table *t);

#endif
