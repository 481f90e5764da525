/*
 * engine.h — runs the trials of a scenario under its policy mixes and
 * keeps what they record (sf_results), then the statistics over trials.
 *
 * Trials are cut into fixed blocks of SF_BLOCK_TRIALS, run in waves of
 * blocks; within a wave threads claim slices of a few trials, in trial
 * order.  Per-trial metrics go to each trial's own row; everything
 * accumulated over trials during the run is an integer (histogram counts,
 * counts of short months, monthly fractions in fixed point), and integer
 * sums do not depend on the order of addition.  So results are bitwise
 * identical for any thread count, after an interruption and resume, and
 * for any split of the trials into shards.
 */
#ifndef SHORTFALL_ENGINE_H
#define SHORTFALL_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define SF_BLOCK_TRIALS 1024

/* A month is "short" for a demand node, region or the world when its
 * shortfall exceeds this fraction of its need. */
#define SF_SHORT_THRESHOLD 0.001

/* Monthly shortfall fractions are histogrammed for the fan chart: bin 0
 * holds months with no shortfall, bin b >= 1 the fractions in
 * ((b-1)/SF_HIST_BINS, b/SF_HIST_BINS].  Quantiles read from it have this
 * resolution. */
#define SF_HIST_BINS 1000

/* Per-trial metrics of each unit (demand node, region, world). */
typedef enum {
    SF_M_SHORTFALL,    /* cumulative shortfall, units */
    SF_M_NEED,         /* cumulative need, units */
    SF_M_FRACTION,     /* shortfall / need */
    SF_M_PEAK,         /* peak monthly shortfall fraction */
    SF_M_MONTHS_SHORT, /* months short */
    SF_M_LONGEST_RUN,  /* longest run of short months */
    SF_M_MIN_STOCK,    /* lowest end-of-month stockpile, units */
    SF_M_TARIFF,       /* tariff paid, in the scenario's currency */
    SF_M_PRICED_OUT,   /* need given up at the price, units */
    SF_M_RATIONED,     /* need ordered and not filled, units */
    SF_M_BUYER_COST,   /* extra spending over reference prices, currency */
    SF_M_SUBSTITUTED,  /* need given up by lasting substitution, units */
    SF_M_COUNT
} sf_metric;

/* Monthly shortfall fractions are summed over trials in fixed point, as
 * round(fraction * SF_FRAC_ONE) in a uint64_t: exact and order-free, with
 * a resolution of 2^-32 per trial, for up to SF_MAX_RUN_TRIALS trials. */
#define SF_FRAC_ONE 4294967296.0
#define SF_MAX_RUN_TRIALS (UINT64_C(1) << 32)

/* The world price index of each commodity (docs/model.md, "What is
 * recorded") is summed over trials per month as round(index / P *
 * SF_PRICE_ONE) in a uint64_t (index <= M P with M <= 1000: no overflow for
 * SF_MAX_RUN_TRIALS trials), and histogrammed in SF_PRICE_BINS bins of
 * log(index / P) over [-log M, log M]: bin b holds the indices nearest
 * P M^(2b / (SF_PRICE_BINS - 1) - 1), its centre; the middle bin is
 * exactly P. */
#define SF_PRICE_ONE 1048576.0
#define SF_PRICE_BINS 1001

/* The bin of price index x (a multiple of the reference price, x > 0)
 * for a commodity with price cap multiple M, and a bin's centre as a
 * multiple of the reference price. */
size_t sf_price_bin(double x, double M);
double sf_price_bin_centre(size_t b, double M);

/* Quantile levels of every summary: the run's (sf_run_options.quantiles,
 * from the scenario's quantiles key or run --quantiles), by default these
 * five.  Statistics hold the first sf_results.n_quantiles of q[]. */
#define SF_DEFAULT_N_QUANTILES 5
extern const double sf_default_quantiles[SF_DEFAULT_N_QUANTILES];

/* The market solver over a run's commodity-months: how many were cleared,
 * the Newton iterations they took in all and at most (a clearing taken
 * unchanged from the month before counts 0), and the largest residual
 * (relative excess demand) left.  Per trial these are fixed, so the
 * totals are the same for any thread count, shards or ranks. */
/* Per commodity (the first SF_SOLVER_COMMODITIES of the scenario), the
 * clearings solved and reused (taken unchanged from the month before)
 * and the Newton iterations of those solved.  Printed by `run`, not
 * written to the results file (all 0 in a run read back from one). */
#define SF_SOLVER_COMMODITIES 16
typedef struct {
    uint64_t solves, iterations;
    int max_iterations;
    double max_residual;
    uint64_t c_solved[SF_SOLVER_COMMODITIES], c_reused[SF_SOLVER_COMMODITIES],
        c_iterations[SF_SOLVER_COMMODITIES];
} sf_solver_stats;

/* Adds b's counts to a's. */
void sf_solver_stats_add(sf_solver_stats *a, const sf_solver_stats *b);

typedef struct {
    double mean, sd, se;
    double q[SF_MAX_QUANTILES];
    double cvar95;  /* mean of the worst 5 % (the largest values) */
    double p_any;   /* share of trials with a value > 0 */
} sf_summary;

typedef struct {
    double mean, se; /* of baseline - mix, per trial */
    double q[SF_MAX_QUANTILES];
    double p_better; /* share of trials where the mix has less shortfall */
    double p_worse;
} sf_paired;

typedef struct {
    int policy; /* index in the scenario */
    /* Per trial: metric[m][(trial - first - row0) * n_units + u], for the
     * rows held (see sf_results.row0). */
    double *metric[SF_M_COUNT];
    /* Per trial and shock: months active,
     * [(trial - first - row0) * n_shocks + k]. */
    int32_t *shock_months;
    /* Per trial, the drivers (sf_results_driver_columns(res, p) of them):
     * [(trial - first - row0) * n_driver + i]. */
    double *driver;
    /* Per month and unit, [t * n_units + u]: sum over trials of the
     * monthly shortfall fraction in fixed point (SF_FRAC_ONE), number of
     * trials short, histogram counts
     * [(t * n_units + u) * (SF_HIST_BINS + 1) + bin]. */
    uint64_t *month_frac_sum;
    uint64_t *month_short;
    uint64_t *month_hist;
    /* Monthly shortfall of each demand node in the first n_paths trials:
     * [(row * n_months + t) * n_demand + d]. */
    double *path;
    /* The same trials' monthly market record (sf_results_path_x_width
     * values a month): [(row * n_months + t) * width + k], k running over
     * each commodity and region's exports, then supply, then price index
     * ([c * n_regions + r] each), then each region's shortfall and need. */
    double *path_x;
    /* Per trial, the price columns (sf_results_price_columns): [(trial -
     * first - row0) * n_price + i]. */
    double *price;
    /* Per month and commodity, [t * n_commodities + c]: sum over trials
     * of the world price index / P in fixed point (SF_PRICE_ONE), and its
     * histogram [(t * n_commodities + c) * SF_PRICE_BINS + bin]. */
    uint64_t *price_sum;
    uint64_t *price_hist;
    /* Per month, commodity and region, [(t * n_commodities + c) *
     * n_regions + r]: sums over trials in fixed point (SF_PRICE_ONE) of
     * the region's price index / P (the first sf_results_region_cells),
     * then of the region's exports / sf_results_flow_scale (the next). */
    uint64_t *region_sum;

    /* Statistics (sf_results_summarise). */
    sf_summary *summary;      /* [m * n_units + u] */
    double *month_frac_mean;  /* [t * n_units + u] */
    double *month_frac_q;     /* [(q * n_months + t) * n_units + u] */
    double *month_p_short;    /* [t * n_units + u] */
    sf_summary *shock_summary; /* [k]: months active per trial */
    sf_paired *avoided;       /* [u], shortfall avoided vs. the baseline;
                                 NULL for the baseline */
    sf_summary *price_summary; /* [i]: the price columns */
    double *price_month_mean;  /* [t * n_commodities + c], currency/unit */
    double *price_month_q;     /* [(q * n_months + t) * n_commodities + c] */
    /* [(t * n_commodities + c) * n_regions + r]: means over trials of the
     * region's price index (NaN: the region buys none of it) and of its
     * exports. */
    double *price_month_mean_region, *exports_month_mean;
    /* Non-baseline mixes: the public cost per unit of world shortfall
     * avoided, mean(cost - baseline's cost) / mean(baseline's shortfall -
     * shortfall) over the paired trials, and its delta-method standard
     * error; NaN for the baseline, and where the mix avoids no shortfall
     * on average (the ratio is then undefined, not infinite). */
    double cost_ratio, cost_ratio_se;
} sf_policy_results;

typedef struct {
    const sf_model *model;
    uint64_t seed;
    uint64_t first_trial; /* trials [first_trial, first_trial + n_trials) */
    uint64_t n_trials;    /* requested */
    uint64_t n_done;      /* completed: rows [0, n_done) are filled */
    /* Per-trial rows held in memory: [row0, row0 + rows_held).  Normally
     * every row (row0 = 0, rows_held = n_trials); when a run streams its
     * rows out (sf_run_options.rows_done), one wave's. */
    uint64_t row0, rows_held;
    int n_months;
    int threads;
    /* The quantile levels of the statistics (sf_run_options). */
    size_t n_quantiles;
    double quantiles[SF_MAX_QUANTILES];
    /* Units: the demand nodes, then the regions, then the world. */
    size_t n_units;
    size_t n_policies;
    uint64_t n_paths;       /* trials whose monthly paths are kept */
    sf_policy_results *pol; /* pol[0] is the baseline */
    double wall_seconds;
    sf_solver_stats solver;
    /* Bytes the statistics of a streamed run may hold (see
     * sf_results_summarise_columns). */
    uint64_t stats_memory;
} sf_results;

typedef struct {
    uint64_t seed;
    uint64_t first_trial;
    uint64_t n_trials;
    int threads;          /* 0: OpenMP's default */
    uint64_t n_paths;     /* keep monthly paths of the first n_paths trials */
    size_t n_policies;    /* policies to run, as scenario indices; the */
    const int *policies;  /* baseline (0) must come first */
    /* Polled by every thread before it claims a slice of trials (a few
     * trials, sized to take about 10 ms, or one trial if that takes
     * longer); when it becomes non-zero, the threads finish the slices
     * they are running and the run stops with the trials completed so far
     * — always the first n_done, not necessarily a whole number of
     * blocks. */
    volatile sig_atomic_t *stop;
    /* Called from the calling thread after each of its slices (`done`:
     * trials completed so far, in any order) and at the end of each wave
     * (`done` = n_done). */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    /* Blocks per wave; 0: two per thread.  Fix it when `enough` is used,
     * so the stopping point does not depend on the thread count. */
    unsigned wave_blocks;
    /* Called after each wave with the results so far (rows [0, n_done));
     * returning true ends the run there, e.g. once a target precision is
     * reached.  Not after a wave cut short by `stop`.  NULL: run all
     * n_trials. */
    bool (*enough)(void *ctx, const sf_results *res);
    void *enough_ctx;
    /* Streaming: called after each wave (also one cut short by `stop`),
     * from the calling thread, with rows [from, to) complete (numbered
     * from first_trial; `from` is on a block boundary); the results
     * then hold only one wave's rows, so memory does not grow with the
     * trials.  A non-zero return (an error, set in err) ends the run with
     * that error.  Not with `enough`, which needs every row.  NULL: every
     * row is held until the end. */
    int (*rows_done)(void *ctx, const sf_results *res, uint64_t from,
                     uint64_t to, sf_error *err);
    void *rows_ctx;
    /* Bytes a streamed run's statistics may hold; 0: SF_STATS_MEMORY. */
    uint64_t stats_memory;
    /* The quantile levels of the statistics (valid: sf_quantiles_problem);
     * n_quantiles 0: sf_default_quantiles. */
    size_t n_quantiles;
    const double *quantiles;
} sf_run_options;

/* Default memory for a streamed run's statistics: 256 MiB. */
#define SF_STATS_MEMORY (256ull << 20)

/* The waves of blocks a run with these options takes (each ends with a
 * rows_done call). */
uint64_t sf_run_waves(const sf_run_options *opt);

/* Allocates empty results for opt's trials and policies (n_done = 0). */
SF_MUST_CHECK
int sf_results_init(sf_results *res, const sf_model *m,
                    const sf_run_options *opt, sf_error *err);

/* Runs trials [first_trial + res->n_done, first_trial + n_trials) into
 * results made by sf_results_init with the same options — so a run that
 * stopped early (res->n_done < n_trials) can be continued, with the same
 * result as if it had never stopped.  On success the results hold
 * per-trial metrics and monthly accumulators; call sf_results_summarise
 * for the statistics.  wall_seconds accumulates.  After an error the
 * results are unusable (the accumulators may hold part of a wave). */
SF_MUST_CHECK
int sf_engine_run(const sf_model *m, const sf_run_options *opt,
                  sf_results *res, sf_error *err);

SF_MUST_CHECK
int sf_results_summarise(sf_results *res, sf_error *err);

/* Part of a per-trial column of a streamed run: rows [first, first +
 * count) of metric `what` (an sf_metric) of unit `index`, or, for what ==
 * SF_COLUMN_SHOCK, the months active of shock `index`, into out. */
#define SF_COLUMN_SHOCK SF_M_COUNT
/* ... or, for what == SF_COLUMN_PRICE, price column `index`. */
#define SF_COLUMN_PRICE (SF_M_COUNT + 1)
typedef int (*sf_column_fn)(void *ctx, const sf_results *res, size_t policy,
                            int what, size_t index, uint64_t first,
                            uint64_t count, double *out, sf_error *err);

/* The same statistics as sf_results_summarise, bitwise, from columns
 * read back instead of rows held in memory.  When 2 × threads (at least 4)
 * whole columns fit in res->stats_memory bytes, a batch of one per thread is
 * summarised while the next is read; otherwise each column is read in blocks, several
 * times over, and its quantiles and CVaR95 found by exact selection
 * (radix select on the values' bits), in memory that does not grow with
 * the trials. */
SF_MUST_CHECK
int sf_results_summarise_columns(sf_results *res, sf_column_fn column,
                                 void *ctx, sf_error *err);

/* Adds the completed trials of `part` — results of the same model and
 * policies over trials [part->first_trial, part->first_trial +
 * part->n_done) — to `res`: rows are copied to their place, integer
 * accumulators added, paths kept for res's first n_paths trials.  Parts
 * added in any order give the same results as one run over all of them. */
void sf_results_add(sf_results *res, const sf_results *part);
/* sf_results_add in two steps, for results that hold one window of rows
 * (sf_results.row0, rows_held) and pass the rows on as they fill it:
 * _copy_rows copies the rows [from, to) of part — numbered from
 * res->first_trial, within part's completed trials and res's window — to
 * their place; _add_totals adds part's integer accumulators, paths,
 * completed trials, wall time and threads, once per part.  `part` must
 * hold all its rows. */
void sf_results_copy_rows(sf_results *res, const sf_results *part,
                          uint64_t from, uint64_t to);
void sf_results_add_totals(sf_results *res, const sf_results *part);
void sf_results_free(sf_results *res);
/* Frees only what the summarising computed (the statistics, by mix),
 * keeping the rows and accumulators, so that they can be summarised
 * again. */
void sf_results_free_statistics(sf_results *res);

/* The three kinds of unit, as the results file names their variables:
 * per demand node (no suffix), per region ("_region"), the world
 * ("_world"). */
typedef enum { SF_UNITS_NODE, SF_UNITS_REGION, SF_UNITS_WORLD } sf_unit_kind;
extern const char *const sf_unit_kind_suffix[3];

/* The first unit index and the number of units of a kind. */
void sf_results_unit_range(const sf_results *res, sf_unit_kind k,
                           size_t *first, size_t *count);

/* The unit index of a region, the world, and the name of unit u. */
size_t sf_results_region_unit(const sf_results *res, size_t region);
size_t sf_results_world_unit(const sf_results *res);
const char *sf_results_unit_name(const sf_results *res, size_t u);

const char *sf_metric_name(sf_metric m);

/* The per-trial price and money columns of each mix, in this order:
 * price_mean of each commodity (n_commodities), price_peak of each
 * commodity, then price_peak_region of each commodity and region ([c *
 * n_regions + r]) — in the scenario's currency per unit of the commodity;
 * a region with no buyer of the commodity has no index (NaN) — then
 * public_cost by kind (SF_COST_COLUMNS, shortfall/costs.h) and
 * tariff_revenue of each region, in the scenario's currency discounted to
 * month 0, then closed_months of each producer that may exit
 * (model->exit_nodes). */
size_t sf_results_price_columns(const sf_results *res);
/* The first public_cost column among them, the first tariff_revenue
 * column, the first closed_months column. */
size_t sf_results_cost_column(const sf_results *res);
size_t sf_results_revenue_column(const sf_results *res);
size_t sf_results_closed_column(const sf_results *res);

/* The drivers of each trial of a mix (docs/output.md, "Drivers"): what
 * the trial drew, as columns of sf_policy_results.driver, variable after
 * variable in this order; integer ones hold whole numbers. */
typedef enum {
    SF_DRV_ONSET,     /* shock_onset_month [shock]: first active month, or
                         the horizon if never active */
    SF_DRV_EPISODES,  /* shock_episodes [shock]: episodes begun */
    SF_DRV_SEVERITY,  /* shock_severity_mean [shock]: mean level while
                         active, 0 if never */
    SF_DRV_REGIME,    /* regime_months [regime_state] (with regimes) */
    SF_DRV_LEAD,      /* project_lead_months [project] */
    SF_DRV_COMPLETED, /* project_completed [project]: 0 or 1 */
    SF_DRV_NOISE,     /* demand_noise_mean [node]: mean demand noise factor */
    SF_DRV_COUNT
} sf_driver;

const char *sf_driver_name(sf_driver v);
/* Whether driver v is written as int32 (else float64). */
bool sf_driver_is_int(sf_driver v);
/* The scenario's regime states (0 without regimes). */
size_t sf_results_regime_states(const sf_results *res);
/* The projects of mix p — the nodes its new_capacity interventions
 * build, in node order — into nodes (if not NULL); returns how many. */
size_t sf_results_projects(const sf_results *res, size_t p, int *nodes);
/* The first column and number of columns of driver v in mix p. */
void sf_results_driver_range(const sf_results *res, size_t p, sf_driver v,
                             size_t *first, size_t *count);
/* Driver columns of mix p, and the most of any mix. */
size_t sf_results_driver_columns(const sf_results *res, size_t p);
size_t sf_results_driver_columns_max(const sf_results *res);

/* Months x commodities x regions: the cells of each half of
 * sf_policy_results.region_sum. */
size_t sf_results_region_cells(const sf_results *res);
/* The scale of commodity c's flows in the fixed-point export sums: its
 * producers' summed nameplate capacity per month (1 if none). */
double sf_results_flow_scale(const sf_results *res, size_t c);
/* Values per month in a path's market record (sf_policy_results.path_x):
 * 3 x commodities x regions + 2 x regions. */
size_t sf_results_path_x_width(const sf_results *res);

#endif
