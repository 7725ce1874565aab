// What sysfs and procfs say about an interface (link, driver, IRQ affinity,
// device-wide counters): the parts no netlink family carries in a form worth
// a second socket.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "json.hpp"

namespace ofnicctl::sys {

// ifindex of `dev` in this network namespace; throws nl::Error(ENODEV).
uint32_t ifindex_of(const std::string& dev);
std::vector<std::string> interfaces();  // every netdev, by ifindex
// {operstate, carrier, mtu, address, driver, bus-addr, speed}
Json link(const std::string& dev);
std::string driver_of(const std::string& dev);  // "" if none (virtual)
// CPUs an IRQ may run on ("0-1"), "" if unknown.
std::string irq_cpus(uint32_t irq);
// /sys/class/net/DEV/statistics: rx/tx packets, bytes, dropped.
Json totals(const std::string& dev);

}  // namespace ofnicctl::sys
