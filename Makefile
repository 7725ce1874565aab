# ofnic: top-level build. `make` builds everything; `make demo`, `make check`,
# `make bench` run it; each first installs what is missing (scripts/setup).
SHELL := /bin/bash
.DEFAULT_GOAL := all

KVER = $(shell scripts/kver 2>/dev/null)
KDIR = /lib/modules/$(KVER)/build
BUILD := build

.PHONY: all setup qemu qemu-checked qemu-tsan fuzz tsan modules userspace linux-src tools xdp check selftests demo bench clean lint checkpatch sparse \
	setup-debug debug-kernel debug-build check-debug

all: setup qemu modules userspace linux-src tools xdp

# Debian 13's ethtool (tcp-data-split, --json) for the selftests, under build/
tools: setup
	@scripts/ethtool-trixie >/dev/null

# checkpatch, ynl and dmatest from Debian's linux-source-6.12, under build/;
# dmatest.ko built from it for the ofdma selftests
linux-src: setup
	@scripts/linux-src >/dev/null
	@selftests/ofdma/build-dmatest >/dev/null

setup:
	@scripts/setup

# The XDP programs (BPF CO-RE against the guest kernel's BTF), their libbpf
# skeletons and the AF_XDP receiver, under build/xdp/ (xdp/README.md)
xdp: setup
	@$(MAKE) --no-print-directory -C xdp KVER=$(KVER)

qemu: setup
	@echo "  QEMU    $$(qemu/build-qemu --path)"
	@qemu/build-qemu >/dev/null

# The same QEMU source built by clang with ASan, UBSan and QEMU's fuzzing
# support, the devices only: the host device tests run on its
# qemu-system-x86_64, scripts/fuzz on its qemu-fuzz-x86_64.
qemu-checked: setup
	@echo "  QEMU    $$(qemu/build-qemu --variant checked --path) (ASan, UBSan, fuzzer)"
	@qemu/build-qemu --variant checked >/dev/null

# ThreadSanitizer, the devices only: the device stress tests (make tsan).
qemu-tsan: setup
	@echo "  QEMU    $$(qemu/build-qemu --variant tsan --path) (TSan)"
	@qemu/build-qemu --variant tsan >/dev/null

modules: setup
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# C++ side (tools, host unit tests) with CMake.
userspace: setup qemu qemu-checked
	@cmake -S userspace -B $(BUILD)/userspace -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DOFNIC_QEMU=$$(qemu/build-qemu --path) \
		-DOFNIC_QEMU_CHECKED=$$(qemu/build-qemu --variant checked --path) >/dev/null
	@cmake --build $(BUILD)/userspace

# Host unit tests, then every selftest in the VM; ends with "N passed, N failed".
check: all
	@selftests/run

selftests: all
	@selftests/run

# The debug tier (docs/testing.md): the debug guest kernel (KASAN, lockdep,
# kmemleak, UBSAN, DEBUG_NET, refcount trackers, DMA_API_DEBUG; built once from
# linux-source-6.12 into the cache, long the first time), the modules, XDP
# objects and dmatest.ko against it under build/debug/, and every selftest
# under it; a splat, leak or lockdep switching off fails the test.
setup-debug: setup
	@scripts/setup --debug-kernel

debug-kernel: setup-debug
	@scripts/debug-kernel >/dev/null

debug-build: debug-kernel qemu
	@scripts/debug-build

check-debug: all debug-build
	@OFNIC_KERNEL=debug selftests/run

# The offload comparison table (and plot): demo measures one round, bench
# three and records them in docs/.
demo: all
	@scripts/bench --rounds 1

bench: all
	@scripts/bench --doc
	@scripts/bench-xdp --doc
	@scripts/bench-copy --doc

# QEMU's generic fuzzer over ofnic and ofdma (scripts/fuzz), FUZZ_TIME seconds
# each; the corpus grows in the cache from run to run. make check runs a short
# round of it (selftests/host/fuzz.sh).
FUZZ_TIME ?= 600
fuzz: setup qemu-checked
	@scripts/fuzz --time $(FUZZ_TIME)

# The device stress tests under ThreadSanitizer (scripts/tsan): resets, VM
# stops, Bus Master toggles and ring rewrites while TSO, RX coalescing and
# ofdma copies are in flight.
tsan: userspace qemu-tsan
	@scripts/tsan

checkpatch: setup
	@scripts/checkpatch

# sparse over kmod/ (W=1 as well); any warning fails the target
sparse: setup
	@out=$$($(MAKE) -s -C $(KDIR) M=$(CURDIR) W=1 C=2 CHECK=sparse modules 2>&1 | \
		grep -E 'warning|error' ); if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

lint: checkpatch sparse

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1
	rm -rf $(BUILD)
