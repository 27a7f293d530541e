#!/usr/bin/env python3
"""Checks configs/compose/ without a container engine.

- `docker-compose config` (Debian's) accepts compose.yml; the stack has vigil, the sample target,
  Redis, Prometheus and Grafana, Prometheus keeps 30 days, ports are published on 127.0.0.1 only,
  and every bind-mounted file or directory exists.
- The Dockerfile passes a lint: pinned base images, known instructions, COPY sources present in
  the build context, COPY --from naming earlier stages, apt-get hygiene, and runnable stages
  with exec-form ENTRYPOINT, a non-root USER and a HEALTHCHECK; compose's build targets exist.
- The files mounted into the containers work there: Prometheus' with `promtool check config`
  (laid out as the mounts place them), vigil's with `vigil check`.

Usage: check_compose.py SOURCE_DIR VIGIL_BINARY. Fails without docker-compose (exit 77, a skip,
with VIGIL_ALLOW_SKIPS=1 on a partial machine).
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
         "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
problems = []


def problem(msg):
    problems.append(msg)


def dockerfile_instructions(path):
    """(line number, INSTRUCTION, arguments) with continuations joined and comments dropped."""
    out, buf, start = [], "", 0
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not buf and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if buf and line.lstrip().startswith("#"):
                continue
            if not buf:
                start = n
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            buf += line
            word, _, rest = buf.strip().partition(" ")
            out.append((start, word.upper(), rest.strip()))
            buf = ""
    return out


def lint_dockerfile(path, context):
    stages = []  # [name, has_user, has_healthcheck, entry_line]
    for line, ins, args in dockerfile_instructions(path):
        where = f"{path}:{line}"
        if ins not in KNOWN:
            problem(f"{where}: unknown instruction {ins}")
            continue
        if ins == "FROM":
            m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$", args, re.I)
            if not m:
                problem(f"{where}: cannot read FROM {args}")
                continue
            image, name = m.group(1), m.group(2) or str(len(stages))
            if ":" not in image.split("/")[-1] and "@" not in image:
                problem(f"{where}: base image {image} has no tag; pin one such as {image}:12")
            elif image.endswith(":latest"):
                problem(f"{where}: base image {image} is :latest; pin a version")
            if any(s[0] == name for s in stages):
                problem(f"{where}: stage name {name} is used twice")
            stages.append([name, False, False, None])
            continue
        if not stages:
            if ins != "ARG":
                problem(f"{where}: {ins} before the first FROM")
            continue
        stage = stages[-1]
        if ins in ("COPY", "ADD"):
            parts = args.split()
            flags = [p for p in parts if p.startswith("--")]
            paths = [p for p in parts if not p.startswith("--")]
            if len(paths) < 2:
                problem(f"{where}: {ins} needs a source and a destination")
                continue
            from_stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
            if from_stage is not None:
                if not any(s[0] == from_stage for s in stages[:-1]):
                    problem(f"{where}: COPY --from={from_stage} names no earlier stage")
                continue
            for src in paths[:-1]:
                if not glob.glob(os.path.join(context, src)):
                    problem(f"{where}: {ins} source {src} is not in the build context {context}")
            if ins == "ADD":
                problem(f"{where}: use COPY for local files (ADD also fetches and unpacks)")
        elif ins == "RUN":
            if "apt-get install" in args:
                if "--no-install-recommends" not in args:
                    problem(f"{where}: apt-get install without --no-install-recommends")
                if "-y" not in args.split():
                    problem(f"{where}: apt-get install without -y waits for an answer")
                if "/var/lib/apt/lists" not in args:
                    problem(f"{where}: apt lists are left in the layer; rm -rf /var/lib/apt/lists/* in the same RUN")
                if "apt-get update" not in args:
                    problem(f"{where}: apt-get install without apt-get update in the same RUN uses stale lists")
        elif ins == "USER":
            stage[1] = args not in ("root", "0", "0:0")
        elif ins == "HEALTHCHECK":
            stage[2] = True
        elif ins in ("ENTRYPOINT", "CMD"):
            if not args.startswith("["):
                problem(f"{where}: {ins} in shell form; use the exec form [\"...\"] so signals reach the process")
            stage[3] = stage[3] or where
    for name, has_user, has_health, entry in stages:
        if entry is None:
            continue
        if not has_user:
            problem(f"{entry}: stage {name} runs as root; add USER")
        if not has_health:
            problem(f"{entry}: stage {name} has no HEALTHCHECK")
    return [s[0] for s in stages]


def main():
    src, vigil = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    compose_dir = os.path.join(src, "configs", "compose")
    if not shutil.which("docker-compose"):
        if os.environ.get("VIGIL_ALLOW_SKIPS", "0") not in ("", "0"):
            print("docker-compose is not installed: skipped (VIGIL_ALLOW_SKIPS is set)")
            return 77
        print("docker-compose is not installed; install the test tools with scripts/setup-debian.sh --test "
              "(or set VIGIL_ALLOW_SKIPS=1 to skip such tests on a partial machine)")
        return 1
    env = dict(os.environ, VIGIL_API_TOKEN="", GRAFANA_ADMIN_PASSWORD="")
    r = subprocess.run(["docker-compose", "-f", os.path.join(compose_dir, "compose.yml"), "config"],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0 or r.stderr.strip():
        print(r.stderr)
        print("FAIL: docker-compose config rejects (or warns about) configs/compose/compose.yml")
        return 1
    cfg = yaml.safe_load(r.stdout)
    services = cfg.get("services", {})
    want = {"vigil", "sample-target", "redis", "prometheus", "grafana"}
    if set(services) != want:
        problem(f"compose services are {sorted(services)}, expected {sorted(want)}")

    prom_cmd = " ".join(services.get("prometheus", {}).get("command", []))
    if "--storage.tsdb.retention.time=30d" not in prom_cmd:
        problem("prometheus does not keep 30 days (--storage.tsdb.retention.time=30d)")

    mounts = {}  # service -> {container path: host path}
    linted = {}  # Dockerfile -> its stage names
    for name, svc in services.items():
        for p in svc.get("ports", []):
            host_ip = p.get("host_ip") if isinstance(p, dict) else str(p).split(":")[0]
            if host_ip != "127.0.0.1":
                problem(f"service {name} publishes {p} beyond 127.0.0.1")
        for v in svc.get("volumes", []):
            # docker-compose 1.x prints "SOURCE:TARGET[:MODE]"; 2.x prints the long form.
            if isinstance(v, str):
                source, target = v.split(":")[:2]
                v = {"type": "bind" if source.startswith("/") else "volume", "source": source, "target": target}
            if v.get("type") == "bind":
                if not os.path.exists(v["source"]):
                    problem(f"service {name} mounts {v['source']}, which does not exist")
                mounts.setdefault(name, {})[v["target"]] = v["source"]
        build = svc.get("build")
        if build:
            dockerfile = os.path.join(build["context"], build.get("dockerfile", "Dockerfile"))
            if dockerfile not in linted:
                linted[dockerfile] = lint_dockerfile(dockerfile, build["context"])
            stages = linted[dockerfile]
            if build.get("target") not in stages:
                problem(f"service {name} builds target {build.get('target')}, not a stage of {dockerfile}")

    with tempfile.TemporaryDirectory() as root:
        # Prometheus' files as its container sees them.
        for target, source in mounts.get("prometheus", {}).items():
            dest = os.path.join(root, target.lstrip("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, dest)
        prom_cfg = os.path.join(root, "etc/prometheus/prometheus.yml")
        if not os.path.exists(prom_cfg):
            problem("no prometheus.yml is mounted at /etc/prometheus/prometheus.yml")
        elif shutil.which("promtool"):
            r = subprocess.run(["promtool", "check", "config", prom_cfg], capture_output=True, text=True)
            if r.returncode != 0:
                problem("promtool check config fails on the compose prometheus.yml:\n" + r.stdout + r.stderr)
        # vigil's config, with the rule packs of this tree in place of the image's.
        vigil_cfg = mounts.get("vigil", {}).get("/etc/vigil/vigil.toml")
        if not vigil_cfg:
            problem("no vigil.toml is mounted at /etc/vigil/vigil.toml")
        else:
            venv = dict(os.environ, VIGIL_RULES_DIR=os.path.join(src, "configs", "rules"),
                        VIGIL_STATE_DIR=os.path.join(root, "state"))
            r = subprocess.run([vigil, "check", "--config", vigil_cfg], capture_output=True, text=True, env=venv)
            print(r.stdout.strip())
            if r.returncode != 0:
                problem("vigil check fails on the compose vigil.toml:\n" + r.stdout + r.stderr)

    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print(f"compose.yml: {len(services)} services valid; Dockerfile lint clean; mounted configs check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
