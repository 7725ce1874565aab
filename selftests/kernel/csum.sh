#!/bin/bash
# vm-run: --cpus 1 --qemu-arg -icount --qemu-arg shift=0,sleep=off
# The kernel's drivers/net/hw/csum.py (6.12) against ofnic: checksum offload
# both ways, IPv4 and IPv6, valid and corrupt, with its csum helper on both
# ends. selftests/kernel/lib.sh.
cd "$(dirname "$0")/../.." || exit 1
source selftests/kernel/lib.sh
kst_setup
kst_run hw/csum.py
