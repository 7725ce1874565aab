#!/bin/bash
# 256 MiB (OFNIC_OFCOPY_MB) to an ofcopy socket read with MSG_PEEK then a
# read of the same bytes: the peek goes to tcp_recvmsg (fallback_flags), the
# reads may use the engine, the peeked bytes equal the read ones and the
# sha256 matches.
cd "$(dirname "$0")/../.." || exit 1
OFCOPY_PATTERN_MB=256
source selftests/ofcopy/lib.sh
ofcopy_pattern_test peek fallback_flags
