#!/usr/bin/env bash
# The documentation's MPI examples (blocks marked <!-- doctest: cluster -->),
# run as written by tests/cli/doctest.sh with the MPI build.
exec env DOCTEST_MODE=cluster bash tests/cli/doctest.sh
