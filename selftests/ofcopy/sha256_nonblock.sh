#!/bin/bash
# 256 MiB (OFNIC_OFCOPY_MB) from the peer to an ofcopy socket read with pattern
# "nonblock" (see userspace/ofcopy/ofcopy_xfer.c): sha256 equal on both ends, and
# most bytes copied by the DMA engine.
cd "$(dirname "$0")/../.." || exit 1
OFCOPY_PATTERN_MB=256
source selftests/ofcopy/lib.sh
ofcopy_pattern_test nonblock dma
