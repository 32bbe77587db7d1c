# pyroute2 (Debian's python3-pyroute2), single operations in process, run inside the namespace:
# a route lookup, and an add + delete of one route. Prints {"getUs", "addDelUs"} (medians).
# usage: ip netns exec NETNS python3 pyroute2-ops.py N
import json, statistics, sys, time
from pyroute2 import IPRoute

n = int(sys.argv[1])
ipr = IPRoute()
vpn = ipr.link_lookup(ifname="vpn")[0]


def measure(f):
    for _ in range(max(1, n // 10)):
        f()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1e6)
    return statistics.median(times)


def add_del():
    ipr.route("add", dst="10.9.0.0/24", oif=vpn)
    ipr.route("del", dst="10.9.0.0/24", oif=vpn)


print(json.dumps({"getUs": measure(lambda: ipr.route("get", dst="198.51.100.7")), "addDelUs": measure(add_del)}))
ipr.close()
