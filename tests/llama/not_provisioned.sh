#!/bin/sh
# Stands in for a tests/llama/ comparison test in a build configured without
# llama.cpp (tests/CMakeLists.txt): says why and reports SKIP (77), or fails
# under TEAI_REQUIRE_LLAMA=1 (.ci/run), where the comparisons must run.
reason="llama.cpp not provisioned (run scripts/provision-llama.sh, then build again)"
if [ "${TEAI_REQUIRE_LLAMA:-}" = 1 ]; then
    echo "FAIL: $1: $reason; TEAI_REQUIRE_LLAMA=1 requires it"
    exit 1
fi
echo "skip: $1: $reason"
exit 77
