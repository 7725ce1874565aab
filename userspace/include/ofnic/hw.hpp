// C++ view of the ofnic hardware interface, include/ofnic_hw.h (shared with the
// QEMU device and the Linux driver). Include this instead of ofnic_hw.h from C++.
#pragma once

#include <cstddef>

#include "ofnic_hw.h"

static_assert(offsetof(ofnic_tx_desc, status) == 22);
static_assert(offsetof(ofnic_rx_desc, status) == 28);
static_assert(offsetof(ofnic_rx_wb, len) == 4);
static_assert(offsetof(ofnic_rx_wb, status) == 28);
