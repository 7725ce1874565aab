#!/bin/bash
# recvmsg semantics on an ofcopy socket, each also checked on plain TCP:
# EINTR on a blocked read, EAGAIN, MSG_WAITALL (whole, and cut short by a
# signal), MSG_PEEK, a short buffer, readv, SO_PEEK_OFF, EOF (selftests/ofcopy/recv_semantics.py).
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh
load_ofdma || die "insmod ofdma failed"
load_ofcopy || die "insmod ofcopy failed"
ip link set lo up
/usr/bin/python3 -S selftests/ofcopy/recv_semantics.py
rc=$?
unload_ofcopy
unload_ofdma
exit $rc
