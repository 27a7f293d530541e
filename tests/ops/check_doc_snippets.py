#!/usr/bin/env python3
"""Every command and config snippet of the docs is exercised.

Fenced blocks of README.md, docs/*.md and the plugins' and bench targets' READMEs:
- toml: a complete vigil config, checked with `vigil check` (rule files written in TOML, with
  [[groups]], through a config that loads them); ${VAR}s get placeholder values;
- yaml: parsed; rule files (groups:) checked by `vigil check` through a config that loads them;
- json: parsed;
- sh: each command line is checked: `vigil ...` against the CLI itself (every subcommand and
  option must exist, as `vigil ... --help` lists them); scripts, binaries and files named from
  this tree must exist (a built binary: a CMake target of that name); `promtool check` runs;
  any other program must be one of the tools the docs are allowed to name;
- text, c, cpp, cmake: output, diagrams and code excerpts, not commands or configs; skipped.
A fence without a language is an error, so nothing is skipped by accident.

Usage: check_doc_snippets.py SOURCE_DIR VIGIL_BINARY
"""
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

SKIPPED = {"text", "c", "cpp", "cmake"}
# Programs the docs may name that this test does not run (system administration, other
# services' tools, or tools whose effect is outside the machine).
OTHER_TOOLS = {"apt", "apt-get", "sudo", "systemctl", "journalctl", "jq", "curl", "head", "grep", "sqlite3",
               "docker", "cmake", "ninja", "openssl", "install", "useradd", "kill", "redis-cli", "redis-server",
               "wrk", "nginx", "python3", "cp", "mkdir", "cat", "echo", "export", "cd", "tail", "watch",
               "prometheus", "promtool", "perf", "valgrind", "ulimit", "chmod", "ln", "ctest", "git", "tee",
               "sleep", "wait", "time", "env", "ls", "bash", "sh", "amtool", "nc", "ss", "awk", "sed", "wc", "tr"}
problems = []
checked = {"toml": 0, "yaml": 0, "json": 0, "sh": 0}


def blocks(path):
    """(line, language, info after the language, body) of each fenced block."""
    text = open(path).read()
    for m in re.finditer(r"^```([\w-]*)([^\n]*)\n(.*?)^```", text, re.M | re.S):
        yield text[:m.start()].count("\n") + 1, m.group(1), m.group(2).strip(), m.group(3)


def without_substitutions(line):
    """The line with each $(...) (nested, quoted parentheses counted) replaced by X."""
    out, i = "", 0
    while i < len(line):
        if line.startswith("$(", i):
            depth, j = 1, i + 2
            while j < len(line) and depth:
                depth += {"(": 1, ")": -1}.get(line[j], 0)
                j += 1
            out += "X"
            i = j
        else:
            out += line[i]
            i += 1
    return out


def placeholder_env(text):
    env = dict(os.environ)
    for name in set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text)):
        # Distinct per variable: vigil refuses two API tokens with one secret.
        env[name] = f"https://example.com/{name.lower()}" if name.endswith("URL") else f"placeholder-{name.lower()}"
    return env


def vigil_check(vigil, config_text, where, work, extra_files=None):
    d = tempfile.mkdtemp(dir=work)
    for name, body in (extra_files or {}).items():
        with open(os.path.join(d, name), "w") as f:
            f.write(body)
    cfg = os.path.join(d, "snippet.toml")
    with open(cfg, "w") as f:
        f.write(config_text)
    env = placeholder_env(config_text + "".join((extra_files or {}).values()))
    env["VIGIL_STATE_DIR"] = os.path.join(d, "state")
    r = subprocess.run([vigil, "check", "--config", cfg], capture_output=True, text=True, env=env, cwd=d)
    if r.returncode != 0:
        problems.append(f"{where}: vigil check fails on this snippet:\n{r.stdout}{r.stderr}")


def check_toml(vigil, body, where, work):
    if re.search(r"^\[\[groups\]\]", body, re.M):  # a rule file in TOML
        vigil_check(vigil, '[rules]\nfiles = ["rules.toml"]\n', where, work, {"rules.toml": body})
    else:
        vigil_check(vigil, body, where, work)


def check_yaml(vigil, body, where, work):
    try:
        doc = yaml.safe_load(body)
    except yaml.YAMLError as e:
        problems.append(f"{where}: not valid YAML: {e}")
        return
    if isinstance(doc, dict) and "groups" in doc:
        vigil_check(vigil, '[rules]\nfiles = ["rules.yml"]\n', where, work, {"rules.yml": body})


_help_cache = {}


def vigil_help(vigil, path):
    key = tuple(path)
    if key not in _help_cache:
        r = subprocess.run([vigil, *path, "--help"], capture_output=True, text=True)
        _help_cache[key] = r.stdout if r.returncode == 0 else None
    return _help_cache[key]


def subcommands(help_text):
    names, inside = set(), False
    for line in help_text.splitlines():
        if line.startswith("Subcommands:"):
            inside = True
            continue
        if inside:
            m = re.match(r"\s+(\S+)", line)
            if not m:
                inside = bool(line.strip())
                continue
            names.add(m.group(1))
    return names


def check_vigil_command(vigil, args, where):
    path = []
    help_text = vigil_help(vigil, path)
    i = 0
    while i < len(args) and not args[i].startswith("-") and args[i] in subcommands(help_text):
        path.append(args[i])
        help_text = vigil_help(vigil, path)
        i += 1
    if help_text is None:
        problems.append(f"{where}: `vigil {' '.join(path)}` is not a command")
        return
    # CLI11 writes "SUBCOMMAND" in the usage line when one is required, "[SUBCOMMAND]" when optional.
    required = re.search(r"Usage:.*(?<!\[)SUBCOMMAND", help_text or "") is not None
    if subcommands(help_text) and required and (i == len(args) or not args[i].startswith("-")):
        got = f" (not {args[i]})" if i < len(args) else ""
        problems.append(f"{where}: `vigil {' '.join(path)}` needs a subcommand{got}: {sorted(subcommands(help_text))}")
        return
    for a in args[i:]:
        if a.startswith("-") and a not in ("-", "--"):
            flag = a.split("=", 1)[0]
            if not re.search(r"(^|[\s,])" + re.escape(flag) + r"([\s,]|$)", help_text):
                problems.append(f"{where}: `vigil {' '.join(path)}` has no option {flag}")


def cmake_targets(src):
    names = set()
    for f in glob.glob(os.path.join(src, "**", "CMakeLists.txt"), recursive=True):
        names.update(re.findall(r"add_executable\(\s*([\w-]+)", open(f).read()))
    return names


def check_command(src, vigil, words, where, targets):
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):  # VAR=value cmd
        words = words[1:]
    if not words:
        return
    prog, args = words[0], words[1:]
    if prog == "sudo":
        return check_command(src, vigil, args, where, targets)
    base = os.path.basename(prog)
    if base == "vigil":
        return check_vigil_command(vigil, args, where)
    if "/" in prog:  # a script or binary of this tree
        if os.path.exists(os.path.join(src, prog)):
            if not os.access(os.path.join(src, prog), os.X_OK):
                problems.append(f"{where}: {prog} is not executable")
        elif prog.startswith(("build", "./build")) and base in targets:
            pass
        elif not prog.startswith("/"):
            problems.append(f"{where}: {prog} is neither a file of this tree nor a target the build makes")
        return
    if base == "promtool" and args[:1] == ["check"]:
        files = [a for a in args[2:] if not a.startswith("-")]
        if all(os.path.exists(os.path.join(src, f)) for f in files) and files:
            r = subprocess.run(["promtool", *args], capture_output=True, text=True, cwd=src)
            if r.returncode != 0:
                problems.append(f"{where}: `promtool {' '.join(args)}` fails:\n{r.stdout}{r.stderr}")
            return
    if base not in OTHER_TOOLS:
        problems.append(f"{where}: the docs name `{base}`, which this test does not know; add it to OTHER_TOOLS "
                        f"if readers are expected to have it")
    # Files of this tree named as arguments must exist.
    for a in args:
        if re.match(r"^(configs|docs|bench|scripts|tests|plugins|core)/", a) and not glob.glob(os.path.join(src, a)):
            problems.append(f"{where}: {a} does not exist in this tree")


def check_sh(src, vigil, body, where, targets, console=False):
    """sh: every line is a command; console: lines starting "$ " are, the others are output."""
    logical = re.sub(r"\\\n", " ", body)
    for n, line in enumerate(logical.splitlines()):
        line = line.strip()
        if console:
            if not line.startswith("$ "):
                continue
            line = line[2:]
        line = without_substitutions(line)
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError as e:
            problems.append(f"{where}: line {n + 1} is not valid shell: {e}")
            continue
        # Separate pipelines and lists; drop redirections and background markers.
        segment = []
        for w in words + ["|"]:
            if w in ("|", "||", "&&", ";", "&"):
                check_command(src, vigil, segment, f"{where} (line {n + 1})", targets)
                segment = []
            elif re.match(r"^\d?[<>]", w):
                continue
            else:
                segment.append(w.rstrip(";&"))


def main():
    src, vigil = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    files = ([os.path.join(src, "README.md")] + sorted(glob.glob(os.path.join(src, "docs", "*.md"))) +
             sorted(glob.glob(os.path.join(src, "plugins", "*", "*", "README.md"))) +
             sorted(glob.glob(os.path.join(src, "bench", "**", "README.md"), recursive=True)))
    targets = cmake_targets(src)
    with tempfile.TemporaryDirectory() as work:
        for f in files:
            rel = os.path.relpath(f, src)
            for line, lang, info, body in blocks(f):
                where = f"{rel}:{line}"
                if lang in SKIPPED:
                    continue
                if info.startswith("checked-by="):
                    # Checked where what it needs exists: that test must read this file.
                    test = os.path.join(src, info.split("=", 1)[1])
                    if not os.path.exists(test) or rel not in open(test).read():
                        problems.append(f"{where}: {info}, but that file does not read {rel}")
                    continue
                if lang == "toml":
                    check_toml(vigil, body, where, work)
                elif lang == "yaml":
                    check_yaml(vigil, body, where, work)
                elif lang == "json":
                    try:
                        json.loads(body)
                    except ValueError as e:
                        problems.append(f"{where}: not valid JSON: {e}")
                elif lang in ("sh", "bash", "console"):
                    check_sh(src, vigil, body, where, targets, console=lang == "console")
                    lang = "sh"
                else:
                    problems.append(f"{where}: a fence without a known language (```{lang}); use toml, yaml, "
                                    f"json, sh, or text for output and diagrams")
                    continue
                checked[lang] += 1
    for p in problems:
        print("FAIL:", p)
    print(f"{len(files)} files: {checked['toml']} toml, {checked['yaml']} yaml, {checked['json']} json and "
          f"{checked['sh']} sh snippets checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
