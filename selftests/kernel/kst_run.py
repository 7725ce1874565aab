#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run one of the kernel's drivers/net selftests (Python) as it runs itself,
with one thing its 6.12 tree lacks: hw/csum.py reads the environment's
remote_ifname, which 6.12's NetDrvEpEnv never sets (later kernels resolve it
from the remote addresses). The peer's interface name is known here
(OFNIC_REMOTE_IFNAME), so it is set after the environment is built; nothing
else of the test or its library changes.

OFNIC_KST_CASES="a b" runs only the cases named, OFNIC_KST_EXCEPT="a b" all
but those: a case whose timing budget TCG cannot meet runs in an entry of
its own, under -icount (docs/testing.md).

usage: kst_run.py TEST.py
"""
import os
import runpy
import sys


def main():
    test = os.path.abspath(sys.argv[1])
    sys.path.insert(0, os.path.dirname(test))
    sys.argv = [test]
    from lib.py import NetDrvEpEnv

    init = NetDrvEpEnv.__init__

    def init_with_remote_ifname(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if not hasattr(self, "remote_ifname"):
            self.remote_ifname = os.environ["OFNIC_REMOTE_IFNAME"]

    NetDrvEpEnv.__init__ = init_with_remote_ifname

    only = os.environ.get("OFNIC_KST_CASES", "").split()
    skip = os.environ.get("OFNIC_KST_EXCEPT", "").split()
    if only or skip:
        lib = sys.modules["lib.py"]
        run = lib.ksft_run

        def ksft_run_some(cases=None, *args, **kwargs):
            if not cases:
                sys.exit("kst_run.py: the test names no case list to filter")
            names = [c.__name__ for c in cases]
            for n in only + skip:
                if n not in names:
                    sys.exit("kst_run.py: no case %s in %s" % (n, names))
            cases = [c for c in cases
                     if (not only or c.__name__ in only) and c.__name__ not in skip]
            return run(cases, *args, **kwargs)

        lib.ksft_run = ksft_run_some
    os.chdir(os.path.dirname(test))
    runpy.run_path(test, run_name="__main__")


if __name__ == "__main__":
    main()
