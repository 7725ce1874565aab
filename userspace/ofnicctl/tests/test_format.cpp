// Text renderings of the read commands, from canned documents.
#include <gtest/gtest.h>

#include "format.hpp"

using namespace ofnicctl;

namespace {
bool has(const std::string& s, const std::string& n) { return s.find(n) != std::string::npos; }

Json ofnic_show() {
  return Json::parse(R"({
    "ifname": "eth0", "ifindex": 2,
    "link": {"operstate": "up", "carrier": true, "mtu": 1500, "address": "52:54:00:0f:1c:01",
             "driver": "ofnic", "bus-addr": "0000:00:01.0"},
    "ofnic": {"hw-version": 65536, "max-queues": 16, "queues": 2,
              "hw-features": ["tx-csum", "tso"], "lro-max-segs": 64, "lro-timeout": 50,
              "lro-max-len": 65535, "err-count": 1, "err-last-code": "buf-dma",
              "err-last-dir": "rx", "err-last-queue": 0, "reset-count": 1},
    "channels": {"combined-max": 16, "other-max": 1, "combined-count": 2, "other-count": 1},
    "rings": {"rx-max": 4096, "tx-max": 4096, "rx": 512, "tx": 512, "rx-buf-len": 3520,
              "tcp-data-split": "disabled"},
    "coalesce": {"rx-usecs": 0, "use-adaptive-rx": false},
    "features": {"rx-gro-hw": {"active": true, "wanted": true, "fixed": false},
                 "rx-lro": {"active": false, "wanted": false, "fixed": true},
                 "tx-tcp-segmentation": {"active": true, "wanted": true, "fixed": false}},
    "rss": {"hfunc": "toeplitz", "key": "01:02", "indir": [0, 1, 0, 1]},
    "queues": [{"id": 0, "type": "rx", "napi-id": 8193, "irq": 27, "cpus": "0-1"}],
    "page-pools": [{"id": 1, "inflight": 512, "inflight-mem": 2097152}],
    "xdp": {"features": ["basic", "redirect"],
            "status": {"attached": true, "mode": "native",
                       "programs": [{"id": 42, "name": "xdp_drop_prog", "mode": "native"}]}},
    "copy": {"ofdma": {"loaded": false}, "ofcopy": {"loaded": true, "source": "netlink", "enabled": false}},
    "unsupported": {"coalesce-profile": "Operation not supported"}})");
}
}  // namespace

TEST(Format, ShowOfnicDevice) {
  auto s = format::show(ofnic_show());
  EXPECT_TRUE(has(s, "eth0: ifindex 2  driver ofnic  up  carrier on  mtu 1500")) << s;
  EXPECT_TRUE(has(s, "device: ofnic 1.0, 16 queue pairs (2 in use), features tx-csum tso")) << s;
  EXPECT_TRUE(has(s, "channels: combined 2 (max 16), other 1 (max 1)")) << s;
  EXPECT_TRUE(has(s,
                  "rings: rx 512 (max 4096), tx 512 (max 4096), rx-buf-len 3520, "
                  "tcp-data-split disabled"))
      << s;
  EXPECT_TRUE(has(s, "offloads: tso on, gro-hw on, lro off [fixed]")) << s;
  EXPECT_TRUE(has(s, "rss: toeplitz, 4 entries, queue:entries 0:2 1:2")) << s;
  EXPECT_TRUE(has(s, "queues: rx0(napi 8193 irq 27 cpus 0-1)")) << s;
  EXPECT_TRUE(has(s, "page pools: 1, 512 pages in flight")) << s;
  EXPECT_TRUE(has(s, "device errors: 1 (last: buf-dma on rx queue 0), queue resets 1")) << s;
  EXPECT_TRUE(has(s, "xdp: xdp_drop_prog (id 42) in native mode; features: basic redirect")) << s;
  EXPECT_TRUE(has(s, "copy offload: ofdma not loaded, ofcopy loaded (netlink, disabled)")) << s;
  EXPECT_TRUE(has(s, "n/a: coalesce-profile (Operation not supported)")) << s;
}

TEST(Format, ShowVirtualDeviceWithoutSections) {
  auto j = Json::parse(R"({"ifname": "veth0", "ifindex": 5,
    "link": {"operstate": "down", "carrier": null, "mtu": 1500, "address": "aa:bb:cc:dd:ee:ff",
             "driver": null, "bus-addr": null},
    "unsupported": {"coalesce": "Operation not supported"}})");
  auto s = format::show(j);
  EXPECT_TRUE(has(s, "veth0: ifindex 5  driver -  down  mtu 1500")) << s;
  EXPECT_FALSE(has(s, "carrier")) << s;
  EXPECT_TRUE(has(s, "n/a: coalesce (Operation not supported)")) << s;
}

TEST(Format, StatsTableShowsColumnsSomeQueueHasAndTotals) {
  auto j = Json::parse(R"({"ifname": "eth0", "sources": ["qstats", "ofnic"], "queues": [
      {"id": 0, "netdev": {"rx-packets": 10, "rx-bytes": 1000, "tx-packets": 5, "tx-bytes": 500},
                "ofnic": {"rx-hds-packets": 7, "restarts": 0}},
      {"id": 1, "netdev": {"rx-packets": 20, "rx-bytes": 2000, "tx-packets": 0, "tx-bytes": 0},
                "ofnic": {"rx-hds-packets": 1, "restarts": 2}}]})");
  auto s = format::stats_table(j);
  EXPECT_TRUE(has(s, "eth0: per-queue statistics (qstats + ofnic)")) << s;
  EXPECT_TRUE(
      has(s, "queue  rx-packets    rx-bytes  tx-packets    tx-bytes         hds    restarts"))
      << s;
  EXPECT_TRUE(
      has(s, "total          30        3000           5         500           8           2"))
      << s;
  EXPECT_FALSE(has(s, "tso")) << s;
}

TEST(Format, RatesTable) {
  auto r = Json::parse(R"({"ifname": "eth0", "interval": 1.0, "source": "qstats",
    "queues": [{"id": 0, "rx-pps": 1500.0, "rx-bps": 12000000.0, "tx-pps": 0.0, "tx-bps": 0.0}],
    "total": {"rx-pps": 1500.0, "rx-bps": 12000000.0, "tx-pps": 0.0, "tx-bps": 0.0}})");
  auto s = format::rates_table(r);
  EXPECT_TRUE(has(s, "    0         1500        12.00            0         0.00")) << s;
  EXPECT_TRUE(has(s, "total         1500        12.00")) << s;
}

TEST(Format, Helpers) {
  EXPECT_EQ(format::human(999), "999");
  EXPECT_EQ(format::human(123456), "123.5k");
  EXPECT_EQ(format::human(25e6), "25.0M");
  EXPECT_EQ(format::rss_weights(Json::parse("[0,1,1,3]")).dump(), R"({"0":1,"1":2,"3":1})");
  auto o = format::offload_summary(Json::parse(
      R"({"tx-checksum-ipv4": {"active": false, "fixed": true},
          "tx-checksum-ip-generic": {"active": true, "fixed": false}})"));
  EXPECT_EQ(o.dump(), R"([{"name":"tx-checksum","state":"on","fixed":false}])");
}

TEST(Format, XdpAndCopy) {
  auto x = Json::parse(R"({"interfaces": [
      {"ifname": "eth0", "xdp": {"attached": true, "programs": [{"id": 3, "name": "p",
        "mode": "generic", "tag": "ab", "maps": [{"id": 9, "name": "pass_stats",
        "type": "percpu_array", "key-size": 4, "value-size": 16, "max-entries": 64}]}]}},
      {"ifname": "eth1", "xdp": {"attached": false, "programs": []}}]})");
  auto s = format::xdp_status(x);
  EXPECT_TRUE(has(s, "eth0: generic mode: p (id 3, tag ab)")) << s;
  EXPECT_TRUE(has(s, "map pass_stats (id 9): percpu_array, key 4 B, value 16 B, 64 entries")) << s;
  EXPECT_TRUE(has(s, "eth1: no XDP program")) << s;
  auto c = format::copy_status(Json::parse(R"({"ofdma": {"loaded": false, "dmaengine": []},
      "ofcopy": {"loaded": true, "source": "netlink", "enabled": false, "copybreak": 4096,
                 "stats": {"bytes-dma": 1}}})"));
  EXPECT_TRUE(has(c, "ofdma: not loaded")) << c;
  EXPECT_TRUE(has(c, "ofcopy: loaded, disabled, counters from netlink")) << c;
  EXPECT_TRUE(has(c, "copybreak 4096")) << c;
}
