// SPDX-License-Identifier: GPL-2.0
/*
 * For selftests/ofnic/xdp_rx_hash.sh: load xdp_rx_hash.bpf.o bound to IFACE
 * (programs calling XDP metadata kfuncs must be device-bound), pin its map
 * at PIN and attach it in native mode. The attachment outlives this process;
 * `ip link set dev IFACE xdp off` removes it.
 *
 *   xdp_rx_hash_load IFACE OBJ PIN
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)	/* Linux 6.3; Debian 12's uapi is older */
#endif

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	unsigned int ifindex;
	int err;

	if (argc != 4) {
		fprintf(stderr, "usage: xdp_rx_hash_load IFACE OBJ PIN\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "no interface %s\n", argv[1]);
		return 2;
	}
	obj = bpf_object__open_file(argv[2], NULL);
	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	prog = bpf_object__find_program_by_name(obj, "xdp_rx_hash");
	if (!prog)
		return 2;
	bpf_program__set_ifindex(prog, ifindex);
	bpf_program__set_flags(prog, BPF_F_XDP_DEV_BOUND_ONLY);
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "loading (device-bound to %s) failed: %s\n", argv[1],
			strerror(-err));
		return 1;
	}
	err = bpf_map__pin(bpf_object__find_map_by_name(obj, "rx_hash_seen"), argv[3]);
	if (err) {
		fprintf(stderr, "pinning the map at %s failed: %s\n", argv[3], strerror(-err));
		return 1;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog), XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "attaching to %s failed: %s\n", argv[1], strerror(-err));
		return 1;
	}
	printf("xdp_rx_hash attached to %s (native, device-bound)\n", argv[1]);
	return 0;
}
