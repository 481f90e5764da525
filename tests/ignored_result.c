/*
 * ignored_result.c — must not compile cleanly: each function below ignores
 * the result of a fallible sf_ call (one of each header), and every
 * fallible sf_ function is declared SF_MUST_CHECK (warn_unused_result).
 * `make check-layers` compiles it and expects exactly 7 -Wunused-result
 * warnings.
 */
#include "batch.h"
#include "cleanup.h"
#include "h5util.h"
#include "shortfall/engine.h"
#include "shortfall/h5file.h"
#include "shortfall/rng.h"
#include "shortfall/scenario.h"

void sf_ignore_all(sf_scenario *sc, const sf_model *m,
                   const sf_run_options *opt, sf_results *res, sf_h5_out *o,
                   sf_rng *r, sf_batch *b, sf_error *err);

void sf_ignore_all(sf_scenario *sc, const sf_model *m,
                   const sf_run_options *opt, sf_results *res, sf_h5_out *o,
                   sf_rng *r, sf_batch *b, sf_error *err)
{
    char *tmp;
    int fd;

    sf_scenario_load(sc, "x.yaml", err);
    sf_engine_run(m, opt, res, err);
    sf_h5_out_open(o, "x.h5", false, err);
    sf_rng_init(r);
    sf_batch_load(b, "", 0, "x.yaml", err);
    sf_cleanup_temp_create("x.h5", &tmp, &fd, err);
    sf_h5_attr_int(0, "x", 1);
}
