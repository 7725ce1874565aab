#!/bin/bash
# 256 MiB (OFNIC_OFCOPY_MB) to an ofcopy socket read 1000 bytes at a time:
# reads below copybreak go to tcp_recvmsg (fallback_short_read), and the
# sha256 matches.
cd "$(dirname "$0")/../.." || exit 1
OFCOPY_PATTERN_MB=256
source selftests/ofcopy/lib.sh
ofcopy_pattern_test short fallback_short_read
