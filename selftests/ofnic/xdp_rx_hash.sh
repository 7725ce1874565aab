#!/bin/bash
# XDP RX metadata: a device-bound program calling bpf_xdp_metadata_rx_hash
# sees, for each UDP flow from the peer, the Toeplitz hash of the port's key
# over the 4-tuple with type L4_IPV4_UDP; with `rx-flow-hash udp4 sd` the
# 2-tuple hash with type L3_IPV4; a generic (not device-bound) program cannot
# call the kfunc.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

PORT=9400
FLOWS=8
BIN=build/selftests/xdp_rx_hash_load
OBJ=build/selftests/xdp_rx_hash.bpf.o
PIN=/sys/fs/bpf/ofnic_rx_hash
# enum xdp_rss_hash_type (include/net/xdp.h)
XDP_RSS_TYPE_L3_IPV4=1
XDP_RSS_TYPE_L4_IPV4_UDP=41

ktap_header 6
[ -e build/xdp/vmlinux.h ] || die "build/xdp/vmlinux.h missing: run make"
mkdir -p build/selftests
clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -Ibuild/xdp \
	-c selftests/ofnic/xdp_rx_hash.bpf.c -o "$OBJ" || die "cannot build the program"
gcc -O2 -Wall -o "$BIN" selftests/ofnic/xdp_rx_hash_load.c -lbpf || die "cannot build the loader"
setup_pair
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

key=$(ethtool -x "$LOCAL_IF" | awk '/^RSS hash key:/ { getline; print; exit }')
log "key $key"

# flows_check L4(1|0) TYPE: send one datagram per source port, compare.
flows_check() {
	local l4=$1 type=$2
	rm -f "$PIN"
	ip link set dev "$LOCAL_IF" xdp off
	"$BIN" "$LOCAL_IF" "$OBJ" "$PIN" | sed 's/^/# /' || return 1
	local sp mark
	mark=$(rx_frames "$LOCAL_IF")
	for ((sp = 41000; sp < 41000 + FLOWS; sp++)); do
		ip netns exec peer /usr/bin/python3 -S selftests/ofnic/xdp_udp.py send \
			--dst $LOCAL_IP --port $PORT --sport $sp --count 1 >/dev/null || return 1
	done
	rx_frames_wait "$LOCAL_IF" "$mark" "$FLOWS"
	bpftool -j map dump pinned "$PIN" >/tmp/rx_hash.json || return 1
	/usr/bin/python3 -S -B - "$key" $LOCAL_IP $PEER_IP $PORT $l4 $type $FLOWS /tmp/rx_hash.json <<'PY'
import json, sys
sys.path.insert(0, "selftests/ofnic")
import ofnic_net as n
key, dst, src, dport, l4, typ, flows, path = sys.argv[1:]
key = n.parse_key(key)
seen = {}
for e in json.load(open(path)):
    e = e.get("formatted", e)   # bpftool prints BTF-formatted entries there
    seen[int(e["key"])] = e["value"]
bad = 0
for sport, v in sorted(seen.items()):
    want = n.toeplitz(key, n.rss_input(src, dst, sport, int(dport), l4 == "1"))
    ok = v["err"] == 0 and v["hash"] == want and v["type"] == int(typ)
    bad += not ok
    print("# sport %d: kfunc err %d hash %#010x type %d, expected %#010x type %s %s"
          % (sport, v["err"], v["hash"], v["type"], want, typ, "ok" if ok else "WRONG"))
if len(seen) != int(flows):
    print("# %d flows recorded, %s sent" % (len(seen), flows))
    bad += 1
sys.exit(1 if bad else 0)
PY
}

check "4-tuple flows: kfunc hash = Toeplitz(key, saddr daddr sport dport), type L4_IPV4_UDP" \
	flows_check 1 $XDP_RSS_TYPE_L4_IPV4_UDP
check "rx-flow-hash udp4 sd" ethtool -N "$LOCAL_IF" rx-flow-hash udp4 sd
check "2-tuple: kfunc hash = Toeplitz(key, saddr daddr), type L3_IPV4" \
	flows_check 0 $XDP_RSS_TYPE_L3_IPV4
ethtool -N "$LOCAL_IF" rx-flow-hash udp4 sdfn
ip link set dev "$LOCAL_IF" xdp off
rm -f "$PIN"
# Not device-bound: the verifier refuses the kfunc call.
out=$(ip link set dev "$LOCAL_IF" xdpdrv obj "$OBJ" sec xdp 2>&1)
rc=$?
log "$(echo "$out" | grep -m1 -i "kfunc\|dev-bound\|bound\|error" )"
check "a program that is not device-bound cannot call the kfunc" test $rc -ne 0
check "ping with the program gone" ping -c 2 -i 0.2 -W 2 $PEER_IP
teardown_pair
check "no kernel warning, unload clean" dmesg_clean
ktap_finish
