#!/usr/bin/env python3
"""Scrapes URL N times over one keep-alive connection; prints median, p99, max (ms) and size."""
import http.client
import statistics
import sys
import time
from urllib.parse import urlparse

url, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000
u = urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
times, body = [], b""
for _ in range(n):
    t0 = time.perf_counter()
    conn.request("GET", u.path)
    r = conn.getresponse()
    body = r.read()
    times.append((time.perf_counter() - t0) * 1000)
series = sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))
times.sort()
p99 = times[int(len(times) * 0.99) - 1]
print(f"median_ms={statistics.median(times):.3f} p99_ms={p99:.3f} max_ms={times[-1]:.3f} "
      f"bytes={len(body)} series={series}")
