#!/usr/bin/env python3
"""A flood of alerts through vigil and through Alertmanager to the same loopback webhook sink.

Posts N alerts (ALERTNAMES groups x N/ALERTNAMES instances) to POST /api/v2/alerts in batches,
then waits until the sink holds a notification for every group carrying all of its alerts.
Reports, for each: the time from the first post to the last needed delivery, the number of
webhook requests, the alerts received, and delivery latency after group_wait (p50/p99 over the
groups). Loopback only.

usage: bench/alerting/flood.py VIGIL_BINARY [ALERTMANAGER_BINARY] [--alerts 10000] [--groups 100]
"""
import argparse, http.server, json, os, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request

GROUP_WAIT = 1.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.first_full = {}  # alertname -> time a notification held all its alerts
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.monotonic()
                msg = json.loads(body)
                with sink.lock:
                    sink.requests += 1
                    name = msg["groupLabels"].get("alertname", "")
                    firing = sum(1 for a in msg["alerts"] if a["status"] == "firing")
                    if firing >= sink.per_group and name not in sink.first_full:
                        sink.first_full[name] = now
                # One write: headers and body in separate small writes would stall on Nagle's
                # algorithm and delayed ACKs (40 ms a request), measuring the sink, not the senders.
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self, per_group):
        with self.lock:
            self.requests = 0
            self.first_full = {}
            self.per_group = per_group


def wait_http(url, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=1)
            return True
        except Exception:
            time.sleep(0.05)
    return False


def post(url, alerts, token=None):
    req = urllib.request.Request(url, data=json.dumps(alerts).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    urllib.request.urlopen(req, timeout=30).read()


def flood(name, post_url, sink, n, groups, token=None):
    per_group = n // groups
    sink.reset(per_group)
    alerts = [{"labels": {"alertname": "Flood%03d" % (i % groups), "instance": "host-%05d" % i, "severity": "warning"},
               "annotations": {"summary": "instance %d is down" % i}} for i in range(n)]
    t0 = time.monotonic()
    for i in range(0, n, 1000):
        post(post_url, alerts[i:i + 1000], token)
    posted = time.monotonic()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with sink.lock:
            if len(sink.first_full) >= groups:
                break
        time.sleep(0.05)
    with sink.lock:
        done = sorted(sink.first_full.values())
        requests = sink.requests
    if len(done) < groups:
        print("%-13s incomplete: %d of %d groups after 120 s" % (name, len(done), groups))
        return
    after_wait = sorted(max(0.0, t - posted - GROUP_WAIT) for t in done)
    p = lambda q: after_wait[min(len(after_wait) - 1, int(q * len(after_wait)))]
    print("%-13s %6d alerts in %3d groups: posted in %5.2f s, all delivered %5.2f s after the first post; "
          "%4d webhook requests; latency after group_wait p50 %4.0f ms, p99 %4.0f ms"
          % (name, n, groups, posted - t0, done[-1] - t0, requests, p(0.5) * 1000, p(0.99) * 1000))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vigil")
    ap.add_argument("alertmanager", nargs="?")
    ap.add_argument("--alerts", type=int, default=10000)
    ap.add_argument("--groups", type=int, default=100)
    args = ap.parse_args()
    sink = Sink()
    work = tempfile.mkdtemp(prefix="vigil-flood-")
    procs = []
    try:
        port = free_port()
        cfg = os.path.join(work, "vigil.toml")
        with open(cfg, "w") as f:
            f.write('[agent]\nstate_dir = "%s/state"\n[http]\nlisten = "127.0.0.1:%d"\napi_token = "bench"\n'
                    'max_body_size = "16MiB"\n[log]\nlevel = "warn"\n'
                    '[[notifiers.webhook]]\nurl = "http://127.0.0.1:%d/hook"\n'
                    '[alerting.route]\nreceiver = "default"\ngroup_by = ["alertname"]\ngroup_wait = "%ds"\n'
                    'group_interval = "5s"\nrepeat_interval = "4h"\n' % (work, port, sink.port, GROUP_WAIT))
        procs.append(subprocess.Popen([args.vigil, "run", "--config", cfg], stderr=subprocess.DEVNULL))
        if not wait_http("http://127.0.0.1:%d/healthz" % port):
            sys.exit("vigil did not start")
        flood("vigil", "http://127.0.0.1:%d/api/v2/alerts" % port, sink, args.alerts, args.groups, "bench")
        if args.alertmanager:
            am_port = free_port()
            am_cfg = os.path.join(work, "am.yml")
            with open(am_cfg, "w") as f:
                f.write("route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: %ds\n  group_interval: 5s\n"
                        "  repeat_interval: 4h\nreceivers:\n  - name: hook\n    webhook_configs:\n"
                        "      - url: http://127.0.0.1:%d/hook\n" % (GROUP_WAIT, sink.port))
            procs.append(subprocess.Popen([args.alertmanager, "--config.file", am_cfg, "--storage.path",
                                           os.path.join(work, "am"), "--web.listen-address", "127.0.0.1:%d" % am_port,
                                           "--cluster.listen-address="], stderr=subprocess.DEVNULL))
            if not wait_http("http://127.0.0.1:%d/-/ready" % am_port):
                sys.exit("alertmanager did not start")
            flood("alertmanager", "http://127.0.0.1:%d/api/v2/alerts" % am_port, sink, args.alerts, args.groups)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
