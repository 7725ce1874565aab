#!/bin/bash
# The ofdma device unbinds (sysfs) while an ofcopy socket is in the middle of
# a transfer through its channels: ofcopy releases the channels before the
# driver's remove, the batches in flight finish, the rest of the transfer goes
# through tcp_recvmsg, and the sha256 still matches. No oops, nothing left
# holding the device: the channels list is empty, the driver rebinds, and
# ofcopy and ofdma unload.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh

ktap_header 8
ofcopy_setup
pci=$(ofdma_pci) || die "ofdma is not bound"
mb=$((OFCOPY_MB < 512 ? OFCOPY_MB : 512))
dma0=$(ofcopy_stat bytes_dma)
nc0=$(ofcopy_stat fallback_no_channel)
rm -f "$OFNIC_TMP/unbound"
(
	wait_for "[ \$(ofcopy_stat bytes_dma) -gt $((dma0 + (32 << 20))) ]" 120 &&
		echo "$pci" >/sys/bus/pci/drivers/ofdma/unbind &&
		touch "$OFNIC_TMP/unbound"
) &
unb=$!
check "$mb MiB transfer ran" ofcopy_xfer_run 5430 "$mb" --ulp
wait $unb
check "the device unbound during the transfer" \
	test -e "$OFNIC_TMP/unbound" -a ! -e "/sys/bus/pci/drivers/ofdma/$pci"
check "sha256 equal on both ends ($(xfer_field bytes) bytes)" \
	test "$(xfer_field sha256)" = "$XFER_TX" -a "$(xfer_field bytes)" = $((mb << 20))
log "bytes by DMA $(($(ofcopy_stat bytes_dma) - dma0)); fallback_no_channel $(($(ofcopy_stat fallback_no_channel) - nc0))"
check "ofcopy holds no channel" test -z "$(cat "$OFCOPY_DBG/channels")"
check "reads after the unbind went to tcp_recvmsg (fallback_no_channel grew)" \
	test "$(ofcopy_stat fallback_no_channel)" -gt "$nc0"
echo "$pci" >/sys/bus/pci/drivers/ofdma/bind
check "the device binds again" wait_for "[ -e /sys/bus/pci/drivers/ofdma/$pci ]" 10
check "ofcopy and ofdma unload" sh -c 'rmmod ofcopy && rmmod ofdma'
teardown_pair
check "no kernel warnings" dmesg_clean
ktap_finish
