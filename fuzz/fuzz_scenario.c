/*
 * fuzz_scenario.c — libFuzzer target for the scenario loader: any bytes
 * must give either a loaded scenario that compiles into a model, or one
 * clear error — never a crash, a hang, a leak or undefined behaviour.
 *
 *   make fuzz            (builds with clang -fsanitize=fuzzer,address,undefined)
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "shortfall/model.h"
#include "shortfall/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_scenario sc;
    sf_model m;
    sf_error err = {0};

    memset(&sc, 0, sizeof sc);
    memset(&m, 0, sizeof m);
    if (sf_scenario_load_string(&sc, (const char *)data, size, "fuzz.yaml",
                                &err) == 0) {
        if (sf_model_init(&m, &sc, &err) == 0)
            sf_model_free(&m);
    } else {
        /* Every error names the input and says something. */
        if (strncmp(err.msg, "fuzz.yaml", 9) != 0 || err.code == 0)
            __builtin_trap();
    }
    sf_scenario_free(&sc);
    return 0;
}
