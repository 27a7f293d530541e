// vigil's console: the alerts page. Talks only to vigil's own JSON API; every label and
// annotation is set with textContent, never parsed as HTML. The filter uses Alertmanager's
// matcher syntax (name="v", name!="v", name=~"re", name!~"re"; regexes fully anchored) and lives
// in the URL, so a filtered view is a link.
"use strict";

const view = { paused: false, lastOk: 0, groups: null, matchers: [], timer: 0, seenCritical: new Set() };

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// "a=\"b\", c=~\"d.*\"" -> [{name, op, value, re}]; throws Error naming the bad part.
function parseMatchers(text) {
  const out = [];
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"{}]*))\s*,?/y;
  let s = text.trim();
  if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
  re.lastIndex = 0;
  while (re.lastIndex < s.length) {
    const at = re.lastIndex;
    const m = re.exec(s);
    if (!m || m[0].length === 0) throw new Error("cannot read a matcher at \"" + s.slice(at, at + 20) + "\"");
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[4];
    const matcher = { name: m[1], op: m[2], value };
    if (m[2] === "=~" || m[2] === "!~") {
      try {
        matcher.re = new RegExp("^(?:" + value + ")$");
      } catch (e) {
        throw new Error("bad regular expression in " + m[1] + m[2] + "\"" + value + "\"");
      }
    }
    out.push(matcher);
  }
  return out;
}

function matchesAll(matchers, labels) {
  return matchers.every((m) => {
    const v = labels[m.name] ?? "";
    if (m.op === "=") return v === m.value;
    if (m.op === "!=") return v !== m.value;
    if (m.op === "=~") return m.re.test(v);
    return !m.re.test(v);
  });
}

const SEVERITY = { critical: "▲", warning: "◆", info: "●" };

function severityChip(labels) {
  const sev = labels.severity || "none";
  const known = SEVERITY[sev] ? sev : "none";
  return el("span", "chip sev-" + known, (SEVERITY[sev] || "○") + " " + sev);
}

function stateChips(a) {
  const chips = el("div", "chips");
  chips.append(severityChip(a.labels));
  const status = a.status || {};
  if (status.state === "suppressed") {
    if ((status.silencedBy || []).length) chips.append(el("span", "chip state-suppressed", "silenced"));
    if ((status.inhibitedBy || []).length)
      chips.append(el("span", "chip state-suppressed", "inhibited by " + status.inhibitedBy.join(", ")));
  } else {
    chips.append(el("span", "chip state-" + a.state, a.state));
  }
  if (a.ack) chips.append(el("span", "chip state-acked", "acknowledged by " + a.ack.author));
  return chips;
}

function labelList(labels, skip) {
  const list = el("div", "labels");
  for (const [k, v] of Object.entries(labels)) {
    if (skip && k in skip) continue;
    list.append(el("span", "label", k + "=\"" + v + "\""));
  }
  return list;
}

function render() {
  const root = document.getElementById("groups");
  if (!view.groups) return;
  const frag = document.createDocumentFragment();
  let shown = 0;
  let firing = 0;
  for (const g of view.groups) {
    const alerts = g.alerts.filter((a) => a.state !== "resolved" && matchesAll(view.matchers, a.labels));
    if (!alerts.length) continue;
    shown += alerts.length;
    firing += alerts.filter((a) => !a.status || a.status.state !== "suppressed").length;
    const section = el("section", "group");
    section.dataset.groupKey = g.groupKey;
    const h = el("h2");
    h.append(labelList(g.labels), el("span", "muted", " " + alerts.length + " alert(s) → " + g.receiver));
    section.append(h);
    for (const a of alerts) {
      const card = el("article", "alert");
      card.id = "alert-" + a.fingerprint;
      card.append(stateChips(a), labelList(a.labels, g.labels));
      for (const [k, v] of Object.entries(a.annotations || {})) card.append(el("p", "annotation", k + ": " + v));
      card.append(el("p", "muted", "since " + a.startsAt));
      section.append(card);
      if (a.labels.severity === "critical" && !view.seenCritical.has(a.fingerprint)) {
        view.seenCritical.add(a.fingerprint);
        document.getElementById("announce").textContent =
          "New critical alert: " + (a.labels.alertname || a.fingerprint);
      }
    }
    frag.append(section);
  }
  root.replaceChildren(frag);
  document.getElementById("summary").textContent =
    shown === 0 ? "No alerts match." : shown + " alert(s), " + firing + " firing";
  document.title = (firing ? "(" + firing + ") " : "") + "vigil: alerts";
}

function showUpdated() {
  const el = document.getElementById("updated");
  if (!view.lastOk) return;
  const s = Math.round((Date.now() - view.lastOk) / 1000);
  el.textContent = (view.paused ? "paused; " : "") + "updated " + s + " s ago";
  el.title = new Date(view.lastOk).toISOString();
}

async function refresh() {
  try {
    const r = await fetch("/api/v1/alerts/groups", { cache: "no-store", headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error("HTTP " + r.status);
    const body = await r.json();  // {"status": "success", "data": {"groups": [...]}}
    view.groups = (body.data && body.data.groups) || [];
    view.lastOk = Date.now();
    document.getElementById("stale").hidden = true;
    render();
  } catch (e) {
    document.getElementById("stale").hidden = false;
  }
  showUpdated();
}

function schedule() {
  clearTimeout(view.timer);
  if (view.paused) return;
  view.timer = setTimeout(async () => {
    await refresh();
    schedule();
  }, document.hidden ? 30000 : 5000);
}

function applyFilterFromUrl() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const text = params.get("filter") || "";
  document.getElementById("filter-input").value = text;
  setFilter(text);
}

function setFilter(text) {
  const input = document.getElementById("filter-input");
  try {
    view.matchers = text.trim() ? parseMatchers(text) : [];
    input.setCustomValidity("");
    input.removeAttribute("aria-invalid");
  } catch (e) {
    input.setCustomValidity(e.message);
    input.setAttribute("aria-invalid", "true");
    input.reportValidity();
    return;
  }
  render();
}

document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("filter-input");
  document.getElementById("filter").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value;
    history.replaceState(null, "", "#/alerts" + (text.trim() ? "?filter=" + encodeURIComponent(text) : ""));
    setFilter(text);
  });
  document.getElementById("pause").addEventListener("click", (e) => {
    view.paused = !view.paused;
    e.target.setAttribute("aria-pressed", String(view.paused));
    e.target.textContent = view.paused ? "Resume" : "Pause";
    if (!view.paused) refresh();
    schedule();
    showUpdated();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "/" && document.activeElement !== input) {
      e.preventDefault();
      input.focus();
    } else if (e.key === "Escape") {
      input.blur();
    }
  });
  document.addEventListener("visibilitychange", schedule);
  window.addEventListener("hashchange", applyFilterFromUrl);
  setInterval(showUpdated, 1000);
  applyFilterFromUrl();
  refresh().then(schedule);
});
