#!/bin/bash
# 256 MiB (OFNIC_OFCOPY_MB) from the peer to an ofcopy socket read with pattern
# "signal" (see userspace/ofcopy/ofcopy_xfer.c): sha256 equal on both ends, and
# most bytes copied by the DMA engine, with a 1 ms SIGALRM timer (no
# SA_RESTART) firing all along; the sender pauses 3 ms after each MiB so that
# reads also block. recv_semantics.sh checks EINTR itself.
cd "$(dirname "$0")/../.." || exit 1
OFCOPY_PATTERN_MB=256
source selftests/ofcopy/lib.sh
XFER_PAUSE_US=3000
ofcopy_pattern_test signal dma
