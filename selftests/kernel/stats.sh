#!/bin/bash
# The kernel's drivers/net/stats.py (6.12) against ofnic: selftests/kernel/lib.sh.
cd "$(dirname "$0")/../.." || exit 1
source selftests/kernel/lib.sh
kst_setup
kst_run stats.py
