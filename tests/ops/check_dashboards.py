#!/usr/bin/env python3
"""Checks vigil's Grafana dashboards: the JSON's structure (uids, a DS_PROMETHEUS input and
variable, job and instance variables, UTC, unique panel ids, every panel on the data source
with a query), and, with --prometheus, that a real Prometheus accepts every query (the panels'
and the variables') and that the core panels return data.

    check_dashboards.py [--prometheus URL] DASHBOARD.json...
"""
import json
import re
import sys
import urllib.parse
import urllib.request

# Panels that must show data on a Prometheus scraping vigil (with the system collector and a
# scheduled scenario) and the sample service.
CORE = {
    "vigil-system": ["CPU utilization", "Memory utilization", "vigil CPU", "vigil memory", "Collectors up"],
    "vigil-business": ["Message rate", "Error ratio", "Latency p50 / p95 / p99", "Probe latency p50 / p95 / p99", "Probe success",
                       "Probe error ratio", "Probe connections"],
    "vigil-security": ["Rejected connections", "Config loads by result", "Time since the last good config load",
                       "Config changes", "Active silences", "Broad silences", "Log redactions", "Dead letters"],
}


def concrete(expr):
    """The query as Grafana would send it with every job and instance and a 1m rate window."""
    expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m")
    return re.sub(r"\$(job|instance)\b", ".*", expr)


def structure(path, d, uids):
    problems = []
    where = path + ": "
    uid = d.get("uid", "")
    if not uid or uid in uids:
        problems.append(where + "a missing or repeated uid %r" % uid)
    uids.add(uid)
    if d.get("timezone") != "utc":
        problems.append(where + "timezone must be \"utc\"")
    if not any(i.get("name") == "DS_PROMETHEUS" and i.get("pluginId") == "prometheus" for i in d.get("__inputs", [])):
        problems.append(where + "no DS_PROMETHEUS input")
    names = {v.get("name") for v in d.get("templating", {}).get("list", [])}
    for needed in ("DS_PROMETHEUS", "job", "instance"):
        if needed not in names:
            problems.append(where + "no %s variable" % needed)
    ids = set()
    panels = []
    for p in d.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))
    for p in panels:
        pid = p.get("id")
        if pid in ids:
            problems.append(where + "panel id %r is used twice" % pid)
        ids.add(pid)
        if p.get("type") == "row":
            continue
        title = p.get("title", "")
        if not title or "gridPos" not in p:
            problems.append(where + "panel %r lacks a title or a gridPos" % pid)
        if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            problems.append(where + "panel %r does not use ${DS_PROMETHEUS}" % title)
        if not p.get("targets") or not all(t.get("expr") for t in p["targets"]):
            problems.append(where + "panel %r has a target without a query" % title)
    return problems, [p for p in panels if p.get("type") != "row"]


def query(prometheus, expr):
    url = prometheus.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def main(argv):
    prometheus = None
    files = []
    it = iter(argv)
    for a in it:
        if a == "--prometheus":
            prometheus = next(it)
        else:
            files.append(a)
    problems, uids, checked = [], set(), 0
    for path in files:
        d = json.load(open(path))
        found, panels = structure(path, d, uids)
        problems += found
        if not prometheus:
            continue
        exprs = []
        for v in d.get("templating", {}).get("list", []):
            m = re.match(r"label_values\((.*), *\w+\)$", v.get("definition", ""))
            if m:
                exprs.append(("variable " + v["name"], m.group(1), False))
        core = CORE.get(d.get("uid"), [])
        for p in panels:
            for t in p["targets"]:
                exprs.append(("panel " + p["title"], t["expr"], p["title"] in core))
        for what, expr, must_have_data in exprs:
            r = query(prometheus, concrete(expr))
            checked += 1
            if r.get("status") != "success":
                problems.append("%s: %s: Prometheus refused %r: %s" % (path, what, expr, r.get("error")))
            elif must_have_data and not r["data"]["result"]:
                problems.append("%s: %s: no data for %r" % (path, what, concrete(expr)))
    for p in problems:
        print("problem:", p)
    print("%d dashboards, %d queries run, %d problems" % (len(files), checked, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
