// vigil's console. Plain modern JavaScript, no library: a hash router (#/page/arg?params) over
// pages that each read vigil's own JSON API and build the DOM with textContent only, so labels,
// annotations and comments are always text, never HTML. Every view state is in the URL; the API
// token (for changes) is kept in sessionStorage, never in the URL; preferences (theme, time zone,
// name) in localStorage.
"use strict";

// ---------------------------------------------------------------------------------------------
// Small DOM and formatting helpers

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

const prefs = {
  get utc() { return localStorage.getItem("vigil.tz") !== "local"; },
  set utc(v) { localStorage.setItem("vigil.tz", v ? "utc" : "local"); },
  get theme() { return localStorage.getItem("vigil.theme") || "auto"; },
  set theme(v) { localStorage.setItem("vigil.theme", v); },
  get name() { return localStorage.getItem("vigil.name") || ""; },
  set name(v) { localStorage.setItem("vigil.name", v); },
};

function pad(n) { return String(n).padStart(2, "0"); }

// Absolute time in the chosen zone, always saying which.
function absTime(d) {
  if (prefs.utc)
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + " UTC";
  const off = -d.getTimezoneOffset();
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" +
    pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + " UTC" + (off >= 0 ? "+" : "-") +
    pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
}

function span(seconds) {
  const s = Math.abs(seconds);
  if (s < 60) return Math.round(s) + " s";
  if (s < 3600) return Math.round(s / 60) + " min";
  if (s < 86400) return (s / 3600).toFixed(s < 36000 ? 1 : 0) + " h";
  return (s / 86400).toFixed(1) + " d";
}

// A <time> with a relative text ("5 min ago", "in 2 h") and the absolute time on hover.
function timeEl(iso, prefix) {
  if (!iso) return el("span", { class: "muted", text: "never" });
  const d = new Date(iso);
  if (isNaN(d.getTime())) return el("span", { class: "muted", text: String(iso) });
  const secs = (d.getTime() - Date.now()) / 1000;
  const rel = Math.abs(secs) < 1 ? "now" : secs < 0 ? span(secs) + " ago" : "in " + span(secs);
  return el("time", { datetime: d.toISOString(), title: absTime(d), text: (prefix || "") + rel });
}

function labelChips(labels, skip) {
  const list = el("span", { class: "labels" });
  for (const [k, v] of Object.entries(labels || {})) {
    if (skip && k in skip) continue;
    list.append(el("span", { class: "label", text: k + "=\"" + v + "\"" }));
  }
  return list;
}

const SEVERITY = { critical: "▲", warning: "◆", info: "●" };
function severityChip(labels) {
  const sev = (labels && labels.severity) || "none";
  const known = SEVERITY[sev] ? sev : "none";
  return el("span", { class: "chip sev-" + known, text: (SEVERITY[sev] || "○") + " " + sev });
}

function say(text) { document.getElementById("status-line").textContent = text; }

// ---------------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || "HTTP " + status);
    this.status = status;
    this.hint = body && body.hint;
  }
}

// A read. Sends the token when this tab has one (for [http] read_requires_token); a 401 asks
// for it once and retries.
async function api(path, opts, asked) {
  const o = Object.assign({ cache: "no-store" }, opts);
  o.headers = Object.assign({ Accept: "application/json" }, (opts && opts.headers) || {});
  const token = sessionStorage.getItem("vigil.token");
  if (token && !o.headers.Authorization) o.headers.Authorization = "Bearer " + token;
  const r = await fetch(path, o);
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (r.status === 401 && !asked && !(opts && opts.headers && opts.headers.Authorization)) {
    sessionStorage.removeItem("vigil.token");
    if (await askToken((body && body.error) || "this agent needs a token for reads")) return api(path, opts, true);
  }
  if (!r.ok) throw new ApiError(r.status, body);
  return body && "data" in body ? body.data : body;
}

// Opens a modal dialog with no answer yet (Esc must never reuse the previous answer).
function openDialog(dlg) {
  dlg.returnValue = "";
  dlg.showModal();
}

// Asks for the token (once per tab) in a dialog; resolves to the token or null when cancelled.
function askToken(problem) {
  const dlg = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  document.getElementById("token-error").textContent = problem || "";
  input.value = "";
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => {
      if (dlg.returnValue === "ok" && input.value) {
        sessionStorage.setItem("vigil.token", input.value);
        resolve(input.value);
      } else {
        resolve(null);
      }
    }, { once: true });
    openDialog(dlg);
    input.focus();
  });
}

// A change through the API with the bearer token; asks for it when missing or refused.
async function mutate(method, path, body) {
  let token = sessionStorage.getItem("vigil.token") || await askToken();
  for (let tries = 0; token && tries < 3; ++tries) {
    const headers = { Accept: "application/json", Authorization: "Bearer " + token };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      return await api(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      if (e.status !== 401) throw e;
      sessionStorage.removeItem("vigil.token");
      token = await askToken(e.message);
    }
  }
  throw new Error("no API token given; nothing was changed");
}

// ---------------------------------------------------------------------------------------------
// Routing and the refresh loop

const app = {
  route: { page: "alerts", args: [], params: new URLSearchParams() },
  page: null,
  paused: false,
  lastOk: 0,
  timer: 0,
  pendingRender: null,
  seenCritical: new Set(),
  generation: 0,  // of page loads: a load finishing after a newer one started is dropped
};

function parseHash() {
  const h = location.hash.replace(/^#\/?/, "");
  const [path, query] = h.split("?");
  const decode = (p) => { try { return decodeURIComponent(p); } catch (e) { return p; } };
  const parts = (path || "alerts").split("/").filter(Boolean).map(decode);
  return { page: parts[0] || "alerts", args: parts.slice(1), params: new URLSearchParams(query || "") };
}

function hashFor(page, args, params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") p.set(k, v);
  const q = p.toString();
  return "#/" + [page, ...(args || [])].map(encodeURIComponent).join("/") + (q ? "?" + q : "");
}

// Replaces URL parameters of the current view (keeps history clean) and reloads the page,
// unless `reload` is false (a form being filled in must not be redrawn).
function setParams(changes, reload = true) {
  const p = new URLSearchParams(app.route.params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === "") p.delete(k);
    else p.set(k, v);
  }
  const q = p.toString();
  const path = "#/" + [app.route.page, ...app.route.args].map(encodeURIComponent).join("/");
  history.replaceState(null, "", path + (q ? "?" + q : ""));
  app.route = parseHash();
  app.pendingRender = null;
  if (reload) refresh();
}

// Live updates stop while a dialog is open or a form field has focus (the page would change
// under the user's hands), and on pages that are forms.
function busy() {
  if (document.querySelector("dialog[open]")) return true;
  const a = document.activeElement;
  if (a && a.closest && (a.closest("form.pauses-updates") || a.closest("#page input, #page select, #page textarea"))) return true;
  return app.page && app.page.isForm;
}

function refreshSeconds() {
  return Math.max(2, Number(app.route.params.get("refresh") || document.getElementById("refresh-every").value) || 5);
}

function schedule() {
  clearTimeout(app.timer);
  if (app.paused) return;
  app.timer = setTimeout(async () => {
    if (!busy()) await refresh(true);
    schedule();
  }, (document.hidden ? Math.max(30, refreshSeconds()) : refreshSeconds()) * 1000);
}

// live: a timed update; navigation: the page was just opened (else a change of its view).
async function refresh(live, navigation) {
  const page = PAGES[app.route.page] || PAGES.notfound;
  if (live && !page.live) return;
  const main = document.getElementById("page");
  const generation = ++app.generation;
  const fetchedAt = Date.now();
  try {
    const view = await page.load(app.route);
    if (generation !== app.generation) return;
    document.getElementById("stale").hidden = true;
    // Applied at once, or, while the pointer rests on the content, when it leaves (nothing moves
    // under it) or 30 s after the first update held back. "updated N s ago" is the age of what
    // is drawn.
    const apply = () => {
      app.pendingRender = null;
      app.heldSince = 0;
      const focus = focusKey(main);
      main.replaceChildren(view);
      if (focus) restoreFocus(focus);
      app.lastOk = fetchedAt;
      if (page.title) document.title = page.titleText || "vigil: " + page.title;
      showUpdated();
    };
    if (live && main.matches(":hover")) {
      app.heldSince = app.heldSince || Date.now();
      if (Date.now() - app.heldSince < 30000) app.pendingRender = apply;
      else apply();
    } else {
      apply();
    }
  } catch (e) {
    if (generation !== app.generation) return;
    // A refresh that fails keeps what is drawn; a page opened anew shows why it is empty.
    if (!live && (navigation || (e instanceof ApiError && e.status < 500))) main.replaceChildren(errorBox(e));
    if (!(e instanceof ApiError) || e.status >= 500) document.getElementById("stale").hidden = false;
  }
  showUpdated();
}

// Where the keyboard focus is inside the page (the nearest element with an id, and the focused
// control's tag and text), so a live update can put it back on the same control.
function focusKey(main) {
  const a = document.activeElement;
  if (!a || !main.contains(a) || a === main) return null;
  const holder = a.parentElement.closest("[id]");
  return { id: holder && holder !== main ? holder.id : "", tag: a.tagName, text: a.textContent };
}

// Back on the same control of the same item; when that item is gone, on the page itself (never
// on a look-alike control of another item, where Enter would act on the wrong thing).
function restoreFocus(k) {
  const main = document.getElementById("page");
  const scope = k.id ? document.getElementById(k.id) : null;
  if (scope)
    for (const e of scope.querySelectorAll(k.tag))
      if (e.textContent === k.text) {
        e.focus();
        return;
      }
  main.focus({ preventScroll: true });
}

function errorBox(e) {
  return el("div", { class: "error-box", role: "alert" },
    el("p", { text: e.message }), e.hint ? el("p", { class: "muted", text: "Hint: " + e.hint }) : null);
}

function showUpdated() {
  const u = document.getElementById("updated");
  if (!app.lastOk) return;
  const s = Math.round((Date.now() - app.lastOk) / 1000);
  u.textContent = (app.paused ? "paused; " : busy() ? "editing, updates wait; " : app.pendingRender ? "newer data waits for the pointer to leave; " : "") +
    "updated " + s + " s ago";
  u.title = absTime(new Date(app.lastOk));
}

function navigate() {
  app.route = parseHash();
  for (const a of document.querySelectorAll("nav a"))
    if (a.dataset.page === pageGroup(app.route.page)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  app.page = PAGES[app.route.page] || PAGES.notfound;
  document.title = "vigil: " + (app.page.title || app.route.page);
  const sel = document.getElementById("refresh-every");
  if (app.route.params.get("refresh")) sel.value = app.route.params.get("refresh");
  app.pendingRender = null;
  document.getElementById("page").replaceChildren(el("p", { class: "muted loading", text: "Loading…" }));
  refresh(false, true).then(() => {
    if (!document.getElementById("page").contains(document.activeElement) && document.activeElement === document.body)
      document.getElementById("page").focus({ preventScroll: true });
    schedule();
  });
}

function pageGroup(page) {
  return { silence: "silences", run: "bench", compare: "bench" }[page] || page;
}

// ---------------------------------------------------------------------------------------------
// Alerts

// Splits the filter into Alertmanager matchers (sent as filter=) and @terms (state=, receiver=).
// Throws an Error naming the bad part.
function parseFilter(text) {
  const out = { matchers: [], states: [], receiver: "" };
  const re = /\s*(@?[a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"{}]*))\s*,?/y;
  let s = text.trim();
  if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
  while (re.lastIndex < s.length) {
    const at = re.lastIndex;
    const m = re.exec(s);
    if (!m || m[0].length === 0) throw new Error("cannot read a matcher at \"" + s.slice(at, at + 20) + "\"");
    const value = m[3] !== undefined ? m[3].replace(/\\(["\\])/g, "$1") : m[4];
    if (m[1].startsWith("@")) {
      const yes = value === "true";
      if (m[2] !== "=") throw new Error(m[1] + " takes =");
      if (m[1] === "@state") {
        const st = value === "firing" ? "active" : value;
        if (!["active", "suppressed", "silenced", "inhibited", "acked", "unacked"].includes(st))
          throw new Error("@state is one of active, suppressed, silenced, inhibited, acked, unacked");
        out.states.push(st);
      } else if (m[1] === "@receiver") out.receiver = value;
      else if (m[1] === "@acked") out.states.push(yes ? "acked" : "unacked");
      else if (m[1] === "@silenced") out.states.push(yes ? "silenced" : "unsilenced");
      else throw new Error("unknown " + m[1] + "; use @state, @receiver, @acked or @silenced");
      continue;
    }
    // Regular expressions are RE2's, checked by vigil (its 400 names the problem).
    out.matchers.push(m[1] + m[2] + JSON.stringify(value));
  }
  return out;
}

function matcherFor(labels, names) {
  return names.filter((k) => k in labels).map((k) => k + "=" + JSON.stringify(labels[k])).join("\n");
}

const PAGE_SIZE = 50;
const collapsed = new Set(JSON.parse(sessionStorage.getItem("vigil.collapsed") || "[]"));

function alertsQuery(route) {
  const p = route.params;
  const f = parseFilter(p.get("filter") || "");
  const q = new URLSearchParams();
  for (const m of f.matchers) q.append("filter", m);
  for (const s of f.states) q.append("state", s);
  if (f.receiver) q.set("receiver", f.receiver);
  for (const k of ["group", "fingerprint", "expand", "group_by"]) if (p.get(k)) q.set(k, p.get(k));
  q.set("limit", PAGE_SIZE);
  q.set("offset", (Number(p.get("page") || 1) - 1) * PAGE_SIZE);
  q.set("alerts_per_group", 25);
  return q;
}

function alertCard(a, group) {
  const status = a.status || {};
  const chips = el("div", { class: "chips" }, severityChip(a.labels));
  if ((status.silencedBy || []).length)
    chips.append(el("a", { class: "chip state-suppressed", href: hashFor("silence", [status.silencedBy[0]]),
      text: "⊖ silenced" }));
  if ((status.inhibitedBy || []).length)
    chips.append(el("span", { class: "chip state-suppressed" }, "⊘ inhibited by ",
      status.inhibitedBy.map((fp, i) => [i ? ", " : "", el("a", { href: hashFor("alerts", [], { fingerprint: fp }), text: "alert " + fp })])));
  if (status.state !== "suppressed") chips.append(el("span", { class: "chip state-" + a.state, text: "● " + a.state }));
  if (a.ack) chips.append(el("span", { class: "chip state-acked", text: "✓ acknowledged by " + a.ack.author }));
  const card = el("article", { class: "alert", id: "alert-" + a.fingerprint, dataset: { fingerprint: a.fingerprint } },
    chips, labelChips(a.labels, group.labels));
  for (const [k, v] of Object.entries(a.annotations || {})) card.append(el("p", { class: "annotation", text: k + ": " + v }));
  const meta = el("p", { class: "muted meta" }, timeEl(a.startsAt, "since "), a.value ? " · value " + a.value : "");
  card.append(meta);
  if (a.ack) {
    card.append(el("p", { class: "ack-note" }, "Acknowledged by " + a.ack.author + " ", timeEl(a.ack.createdAt),
      a.ack.comment ? ": " + a.ack.comment : "", a.ack.expiresAt ? el("span", {}, " · expires ", timeEl(a.ack.expiresAt)) : " · until resolved"));
  }
  const actions = el("div", { class: "actions" });
  if (a.state === "firing") {
    if (a.ack && a.ack.fingerprints.length)
      actions.append(el("button", { type: "button", onclick: () => removeAck(a), text: "Remove ack" }));
    else if (!a.ack)
      actions.append(el("button", { type: "button", class: "ack", onclick: () => ackDialog({ alert: a }), text: "Ack" }));
  }
  actions.append(
    el("a", { class: "button", href: hashFor("silence", ["new"], { matchers: matcherFor(a.labels, Object.keys(a.labels)) }), text: "Silence" }),
    el("a", { href: hashFor("history", [], { fingerprint: a.fingerprint }), text: "History", "aria-label": "History of " + labelsText(a.labels) }),
    el("a", { href: hashFor("alerts", [], { fingerprint: a.fingerprint }), text: "Link", title: "Permalink to this alert", "aria-label": "Permalink to " + labelsText(a.labels) }));
  card.setAttribute("aria-label", (a.labels.severity || "") + " alert " + labelsText(a.labels));
  card.append(actions);
  return card;
}

// A stable element id for a string key (group keys hold any characters).
function idFor(prefix, key) {
  let h = 2166136261;
  for (let i = 0; i < key.length; ++i) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return prefix + (h >>> 0).toString(16);
}

function labelsText(labels) {
  return Object.entries(labels || {}).map(([k, v]) => k + "=\"" + v + "\"").join(", ") || "(no labels)";
}

function groupSection(g, route) {
  const isCollapsed = collapsed.has(g.groupKey) && route.params.get("group") !== g.groupKey;
  const c = g.counts;
  const toggle = el("button", { type: "button", class: "toggle", "aria-expanded": String(!isCollapsed),
    text: isCollapsed ? "▸" : "▾", title: isCollapsed ? "Expand" : "Collapse",
    "aria-label": (isCollapsed ? "Expand" : "Collapse") + " group " + labelsText(g.labels),
    onclick: () => {
      if (collapsed.has(g.groupKey)) collapsed.delete(g.groupKey); else collapsed.add(g.groupKey);
      sessionStorage.setItem("vigil.collapsed", JSON.stringify([...collapsed]));
      refresh();
    } });
  const counts = c.alerts + " alert" + (c.alerts === 1 ? "" : "s") + (c.active !== c.alerts ? ", " + c.active + " firing" : "") +
    (c.silenced ? ", " + c.silenced + " silenced" : "") + (c.acked ? ", " + c.acked + " acked" : "");
  const h = el("h2", {}, toggle, Object.keys(g.labels).length ? labelChips(g.labels) : el("span", { class: "muted", text: "(no grouping labels)" }),
    el("span", { class: "muted", text: " " + counts + " → " + g.receiver }));
  const section = el("section", { class: "group", id: idFor("group-", g.groupKey), "aria-label": "group " + labelsText(g.labels),
    dataset: { groupKey: g.groupKey } }, h);
  const routed = !route.params.get("group_by");  // a group of the routes, not a regrouping view
  const actions = el("div", { class: "actions group-actions" },
    routed && c.active > c.acked ? el("button", { type: "button", onclick: () => ackDialog({ group: g }), text: "Ack group" }) : null,
    el("a", { class: "button", href: hashFor("silence", ["new"], { matchers: matcherFor(g.labels, Object.keys(g.labels)) }), text: "Silence group" }),
    routed ? el("a", { href: hashFor("history", [], { group_key: g.groupKey }), text: "History" }) : null,
    el("a", { href: hashFor("alerts", [], { group: g.groupKey, group_by: route.params.get("group_by") }), text: "Link", title: "Permalink to this group" }));
  section.append(actions);
  if (isCollapsed) return section;  // collapsed groups are not rendered
  for (const a of g.alerts) section.append(alertCard(a, g));
  if (g.alertsOmitted > 0)
    section.append(el("p", { class: "more" }, el("a", { href: "#", onclick: (e) => { e.preventDefault(); setParams({ expand: g.groupKey }); },
      text: "Show " + g.alertsOmitted + " more alert(s) of this group" })));
  return section;
}

// Group by the routes (the default) or by one label's value: a view kept in the URL.
function groupByControl(route, data) {
  const current = route.params.get("group_by") || "";
  const names = new Set(["alertname", "severity", "instance", "job"]);
  for (const g of data.groups) for (const a of g.alerts) for (const k of Object.keys(a.labels)) names.add(k);
  if (current) names.add(current);
  const select = el("select", { id: "group-by", onchange: (e) => setParams({ group_by: e.target.value, page: "", group: "", expand: "" }) },
    el("option", { value: "", text: "routes" }), [...names].sort().map((n) => el("option", { value: n, text: "label " + n })));
  select.value = current;
  return el("div", { class: "toolbar" }, el("label", { for: "group-by", text: "Group by" }), select);
}

// Rules' pending alerts: their condition holds but their `for` has not elapsed, so no route has
// them yet. A silence can be prepared for them.
function pendingSection(data) {
  const section = el("section", { class: "group pending" },
    el("h2", {}, el("span", { class: "chip state-pending", text: "… pending" }),
      el("span", { class: "muted", text: " " + data.pendingCount + " alert(s) waiting for their rule's for" +
        (data.pendingCount > data.pending.length ? " (the first " + data.pending.length + " shown)" : "") })));
  for (const a of data.pending) {
    section.append(el("article", { class: "alert", id: "alert-" + a.fingerprint, dataset: { fingerprint: a.fingerprint } },
      el("div", { class: "chips" }, severityChip(a.labels), el("span", { class: "chip state-pending", text: "… pending" })),
      labelChips(a.labels),
      Object.entries(a.annotations || {}).map(([k, v]) => el("p", { class: "annotation", text: k + ": " + v })),
      el("p", { class: "muted meta" }, timeEl(a.activeAt, "active since "), " · value " + a.value),
      el("div", { class: "actions" },
        el("a", { class: "button", href: hashFor("silence", ["new"], { matchers: matcherFor(a.labels, Object.keys(a.labels)) }), text: "Silence" }),
        el("a", { href: hashFor("history", [], { fingerprint: a.fingerprint }), text: "History" }))));
  }
  return section;
}

function filterBar(route, placeholder) {
  const input = el("input", { id: "filter-input", type: "search", value: route.params.get("filter") || "",
    placeholder, autocomplete: "off", "aria-describedby": "filter-error" });
  const error = el("span", { id: "filter-error", class: "error", role: "alert" });
  const form = el("form", { id: "filter", role: "search", class: "pauses-updates",
    onsubmit: (e) => {
      e.preventDefault();
      try {
        if (route.page === "alerts") parseFilter(input.value);
        error.textContent = "";
        input.removeAttribute("aria-invalid");
        setParams({ filter: input.value.trim(), page: "", before: "" });
        input.blur();
      } catch (err) {
        error.textContent = err.message;
        input.setAttribute("aria-invalid", "true");
      }
    } }, el("label", { for: "filter-input", text: "Filter" }), input, el("button", { text: "Apply" }), error);
  return form;
}

const PAGES = {};

PAGES.alerts = {
  title: "alerts",
  live: true,
  async load(route) {
    const placeholder = "severity=\"critical\", alertname=~\"Disk.*\", @state=active";
    let data;
    try {
      let q;
      try { q = alertsQuery(route); } catch (e) { throw new ApiError(400, { error: "filter: " + e.message }); }
      data = await api("/api/v1/alerts/groups?" + q);
    } catch (e) {
      // A filter vigil refuses keeps the filter bar, to fix it there.
      if (e instanceof ApiError && e.status === 400) return el("div", {}, filterBar(route, placeholder), errorBox(e));
      throw e;
    }
    const t = data.totals;
    const root = el("div", {}, filterBar(route, placeholder),
      groupByControl(route, data));
    const scope = route.params.get("group") ? "in this group" : route.params.get("fingerprint") ? "(one alert)" : "";
    root.append(el("p", { id: "summary", "aria-live": "polite",
      text: t.alerts === 0 ? "No alerts match." : t.alerts + " alert(s) " + scope + " in " + data.totalGroups + " group(s): " +
        t.active + " firing, " + t.suppressed + " suppressed, " + t.acked + " acknowledged" }));
    if (scope) root.append(el("p", {}, el("a", { href: "#/alerts", text: "← all alerts" })));
    for (const g of data.groups) root.append(groupSection(g, route));
    if (data.pendingCount) root.append(pendingSection(data));
    const pages = Math.ceil(data.totalGroups / PAGE_SIZE);
    if (pages > 1) {
      const page = Number(route.params.get("page") || 1);
      root.append(el("nav", { class: "pager", "aria-label": "Pages of groups" },
        page > 1 ? el("button", { type: "button", onclick: () => setParams({ page: page - 1 }), text: "← Previous" }) : null,
        el("span", { text: " page " + page + " of " + pages + " " }),
        page < pages ? el("button", { type: "button", onclick: () => setParams({ page: page + 1 }), text: "Next →" }) : null));
    }
    PAGES.alerts.titleText = (t.active ? "(" + t.active + ") " : "") + "vigil: alerts";
    // Critical alerts that started firing since the last look, active (not silenced, inhibited),
    // are announced together, once.
    const since = app.lastAnnounced || Date.now();
    const fresh = [];
    for (const g of data.groups)
      for (const a of g.alerts)
        if (a.labels.severity === "critical" && a.state === "firing" && a.status && a.status.state === "active" &&
            Date.parse(a.startsAt) > since - 1000 && !app.seenCritical.has(a.fingerprint)) {
          app.seenCritical.add(a.fingerprint);
          fresh.push(a.labels.alertname || a.fingerprint);
        }
    app.lastAnnounced = Date.now();
    if (fresh.length) {
      const region = document.getElementById("announce");
      region.textContent = "";
      setTimeout(() => { region.textContent = "New critical alert" + (fresh.length > 1 ? "s: " : ": ") + fresh.join(", "); }, 50);
    }
    return root;
  },
};

function ackDialog(target) {
  const dlg = document.getElementById("ack-dialog");
  const author = document.getElementById("ack-author");
  const comment = document.getElementById("ack-comment");
  const expiry = document.getElementById("ack-expiry");
  document.getElementById("ack-error").textContent = "";
  document.getElementById("ack-what").textContent = target.alert
    ? (target.alert.labels.alertname || "alert") + " " + target.alert.fingerprint
    : "every firing alert of the group " + labelsText(target.group.labels) + " → " + target.group.receiver;
  author.value = prefs.name;
  comment.value = "";
  expiry.value = "";
  dlg.addEventListener("close", async () => {
    if (dlg.returnValue !== "ok") return;
    prefs.name = author.value;
    const body = { author: author.value, comment: comment.value };
    if (expiry.value) body.expiresIn = expiry.value;
    try {
      if (target.alert) await mutate("POST", "/api/v1/alerts/" + target.alert.fingerprint + "/ack", body);
      else await mutate("POST", "/api/v1/alerts/groups/ack", Object.assign({ groupKey: target.group.groupKey }, body));
      say("Acknowledged.");
    } catch (e) {
      alert("Not acknowledged: " + e.message);
    }
    refresh();
  }, { once: true });
  openDialog(dlg);
  author.value ? comment.focus() : author.focus();
}

async function removeAck(a) {
  try {
    await mutate("DELETE", "/api/v1/alerts/" + a.fingerprint + "/ack");
    say("Acknowledgement removed.");
  } catch (e) {
    alert("Not removed: " + e.message);
  }
  refresh();
}

// ---------------------------------------------------------------------------------------------
// Silences

function silenceMatchersText(s) {
  return s.matchers.map((m) => m.name + (m.isEqual ? (m.isRegex ? "=~" : "=") : (m.isRegex ? "!~" : "!=")) + JSON.stringify(m.value));
}

async function expireSilence(s) {
  if (!confirm("Expire the silence " + silenceMatchersText(s).join(", ") + "?")) return;
  try {
    await mutate("DELETE", "/api/v1/silences/" + s.id);
    say("Silence expired.");
  } catch (e) {
    alert("Not expired: " + e.message);
  }
  refresh();
}

async function extendSilence(s, seconds) {
  const end = new Date(Math.max(Date.parse(s.endsAt), Date.now()) + seconds * 1000);
  const body = { id: s.id, matchers: s.matchers, startsAt: s.startsAt, endsAt: end.toISOString().replace(/\.\d+Z$/, "Z"),
    createdBy: s.createdBy, comment: s.comment };
  if (s.schedule) body.schedule = s.schedule;
  try {
    await mutate("POST", "/api/v1/silences", body);
    say("Silence extended.");
  } catch (e) {
    alert("Not extended: " + e.message);
  }
  refresh();
}

function silenceActions(s) {
  const st = s.status.state;
  return el("div", { class: "actions" },
    el("a", { href: hashFor("silence", [s.id]), text: "Open" }),
    st !== "expired" ? el("a", { class: "button", href: hashFor("silence", [s.id, "edit"]), text: "Edit" }) : null,
    st !== "expired" ? el("button", { type: "button", onclick: () => extendSilence(s, 3600), text: "+1 h" }) : null,
    st !== "expired" ? el("button", { type: "button", onclick: () => extendSilence(s, 86400), text: "+1 d" }) : null,
    st !== "expired" ? el("button", { type: "button", class: "danger", onclick: () => expireSilence(s), text: "Expire" }) : null,
    st === "expired" ? el("a", { class: "button", href: hashFor("silence", ["new"], { matchers: silenceMatchersText(s).join("\n"), comment: s.comment }), text: "Recreate" }) : null);
}

PAGES.silences = {
  title: "silences",
  live: true,
  async load(route) {
    const state = route.params.get("state") || "active";
    const data = await api("/api/v1/silences" + (state === "all" ? "" : "?state=" + state));
    const tabs = el("div", { class: "tabs", role: "group", "aria-label": "Silence state" });
    for (const s of ["active", "pending", "expired", "all"])
      tabs.append(el("a", { href: hashFor("silences", [], { state: s }), "aria-current": s === state ? "page" : null, text: s }));
    const root = el("div", {}, el("div", { class: "toolbar" }, tabs, el("a", { class: "button primary", href: "#/silence/new", text: "New silence" })));
    const list = data.silences.sort((a, b) => Date.parse(a.endsAt) - Date.parse(b.endsAt));
    root.append(el("p", { id: "summary", text: list.length + " " + state + " silence(s)" }));
    const table = el("table", { class: "list" }, el("thead", {}, el("tr", {},
      ["State", "Matchers", "Matches", "Created by", "Comment", "Ends", "Actions"].map((h) => el("th", { scope: "col", text: h })))));
    const body = el("tbody");
    for (const s of list) {
      body.append(el("tr", { id: "silence-" + s.id },
        el("td", {}, el("span", { class: "chip silence-" + s.status.state, text: s.status.state }), s.schedule ? el("span", { class: "chip", text: "↻ recurring" }) : null),
        el("td", {}, silenceMatchersText(s).map((m) => el("span", { class: "label", text: m }))),
        el("td", { text: String(s.matchedAlerts) }),
        el("td", { text: s.createdBy }),
        el("td", { class: "comment", text: s.comment }),
        el("td", {}, timeEl(s.endsAt)),
        el("td", {}, silenceActions(s))));
    }
    table.append(body);
    root.append(list.length ? table : el("p", { class: "muted", text: "None." }));
    return root;
  },
};

// #/silence/ID (details), #/silence/ID/edit and #/silence/new?matchers=...: the form.
PAGES.silence = {
  title: "silence",
  get isForm() { return app.route.args[0] === "new" || app.route.args[1] === "edit"; },
  async load(route) {
    const id = route.args[0];
    if (id && id !== "new" && route.args[1] !== "edit") return silenceDetails(id);
    let s = null;
    if (id && id !== "new") s = await api("/api/v1/silences/" + encodeURIComponent(id));
    return silenceForm(s, route.params);
  },
};

async function silenceDetails(id) {
  const s = await api("/api/v1/silences/" + encodeURIComponent(id));
  const root = el("div", { class: "detail" }, el("h2", { text: "Silence " + s.id }));
  root.append(el("dl", {},
    el("dt", { text: "State" }), el("dd", {}, el("span", { class: "chip silence-" + s.status.state, text: s.status.state })),
    el("dt", { text: "Matchers" }), el("dd", {}, silenceMatchersText(s).map((m) => el("span", { class: "label", text: m }))),
    el("dt", { text: "Starts" }), el("dd", {}, timeEl(s.startsAt), " (" + absTime(new Date(s.startsAt)) + ")"),
    el("dt", { text: "Ends" }), el("dd", {}, timeEl(s.endsAt), " (" + absTime(new Date(s.endsAt)) + ")"),
    s.schedule ? [el("dt", { text: "Recurring" }), el("dd", { text: JSON.stringify(s.schedule) })] : null,
    el("dt", { text: "Created by" }), el("dd", { text: s.createdBy }),
    el("dt", { text: "Comment" }), el("dd", { text: s.comment }),
    el("dt", { text: "Matches now" }), el("dd", { text: s.matchedAlerts + " alert(s)" })));
  root.append(silenceActions(s));
  const preview = await api("/api/v1/silences/preview", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ matchers: s.matchers }) });
  root.append(el("h3", { text: "Alerts it matches" }), previewList(preview));
  return root;
}

function previewList(preview) {
  const ul = el("ul", { class: "preview" });
  for (const a of preview.alerts.slice(0, 200))
    ul.append(el("li", {}, severityChip(a.labels), labelChips(a.labels), " ",
      el("a", { href: hashFor("alerts", [], { fingerprint: a.fingerprint }), text: "open" })));
  if (preview.alerts.length > 200) ul.append(el("li", { class: "muted", text: "… and " + (preview.alerts.length - 200) + " more" }));
  return ul;
}

const DURATIONS = [["1h", 3600], ["2h", 7200], ["4h", 14400], ["1d", 86400], ["1w", 604800]];
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

function parseDurationText(t) {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(t.trim());
  if (!m) return null;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]];
}

// Matchers text (one per line or comma-separated) -> matcher strings; throws naming the bad one.
function splitMatchers(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const f = parseFilter(line);
    if (f.states.length || f.receiver) throw new Error("a silence matches labels only; @terms are for the alerts filter");
    out.push(...f.matchers);
  }
  return out;
}

// The form reads and shows times in the zone chosen when it opened (switching later does not
// reinterpret what was typed).
function silenceForm(existing, params) {
  const utc = prefs.utc;
  const absTimeHere = (d) => { const keep = prefs.utc; prefs.utc = utc; const t = absTime(d); prefs.utc = keep; return t; };
  const matchers = el("textarea", { id: "s-matchers", rows: 4, required: true, spellcheck: "false",
    "aria-describedby": "s-matcher-counts" });
  matchers.value = existing ? silenceMatchersText(existing).join("\n") : params.get("matchers") || "";
  const counts = el("ul", { id: "s-matcher-counts", class: "matcher-counts", "aria-live": "polite" });
  const warnings = el("div", { id: "s-warnings", role: "alert" });
  const preview = el("div", { id: "s-preview" }, el("p", { class: "muted", text: "Write matchers to see which alerts the silence would mute." }));
  const now = new Date();
  const start = el("input", { id: "s-start", type: "datetime-local", step: 60 });
  const duration = el("input", { id: "s-duration", value: "2h", size: 6, "aria-describedby": "s-ends" });
  const ends = el("p", { id: "s-ends", class: "muted" });
  const creator = el("input", { id: "s-creator", required: true, autocomplete: "name", value: existing ? existing.createdBy : prefs.name });
  const comment = el("input", { id: "s-comment", required: true, value: existing ? existing.comment : (params.get("comment") || "") });
  const recurring = el("input", { id: "s-recurring", type: "checkbox" });
  const days = el("fieldset", { class: "weekdays" }, el("legend", { text: "Weekdays" }),
    WEEKDAYS.map((d) => el("label", {}, el("input", { type: "checkbox", value: d }), " " + d.slice(0, 3))));
  const from = el("input", { id: "s-from", type: "time", value: "02:00" });
  const to = el("input", { id: "s-to", type: "time", value: "04:00" });
  const zone = el("input", { id: "s-location", value: prefs.utc ? "UTC" : Intl.DateTimeFormat().resolvedOptions().timeZone });
  const schedule = el("div", { id: "s-schedule", hidden: true }, days,
    el("label", { for: "s-from", text: "Daily from" }), from, el("label", { for: "s-to", text: "to" }), to,
    el("label", { for: "s-location", text: "Time zone (IANA)" }), zone);
  const submit = el("button", { class: "primary", disabled: true, text: existing ? "Save silence" : "Create silence" });
  const error = el("p", { class: "error", role: "alert" });
  let previewedFor = null;  // the matchers the shown preview belongs to: submit needs them current
  let startTouched = false;  // an edit keeps the silence's exact start unless the field changes
  let keptSchedule = null;   // a schedule the form cannot show whole is sent back unchanged

  if (existing) {
    const st = new Date(existing.startsAt);
    start.value = localInputValue(st);
    duration.value = Math.round((Date.parse(existing.endsAt) - st.getTime()) / 60000) + "m";
    const sc = existing.schedule;
    const empty = (v) => v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
    const simple = sc && Object.keys(sc).every((k) => ["times", "weekdays", "location"].includes(k) || empty(sc[k])) &&
      (sc.times || []).length <= 1 && (sc.weekdays || []).every((d) => WEEKDAYS.includes(d));
    if (sc && !simple) {
      keptSchedule = sc;
      recurring.disabled = true;
      recurring.checked = true;
      schedule.replaceChildren(el("p", { class: "muted", text: "Recurring, kept as it is (edit it through the API): " + JSON.stringify(sc) }));
      schedule.hidden = false;
    } else if (sc) {
      recurring.checked = true;
      schedule.hidden = false;
      for (const box of days.querySelectorAll("input")) box.checked = (sc.weekdays || []).includes(box.value);
      if (sc.times && sc.times[0]) { from.value = sc.times[0].start_time; to.value = sc.times[0].end_time; }
      if (sc.location) zone.value = sc.location;
    }
  } else {
    start.value = localInputValue(now);
  }

  function startDate() {
    // datetime-local has no zone: it is read in the zone the console shows (UTC or local).
    if (!start.value) return new Date();
    if (existing && !startTouched) return new Date(existing.startsAt);
    return utc ? new Date(start.value + "Z") : new Date(start.value);
  }
  function localInputValue(d) {
    const x = utc ? new Date(d.getTime()) : new Date(d.getTime() - d.getTimezoneOffset() * 60000);
    return x.toISOString().slice(0, 16);
  }
  function updateEnds() {
    const secs = parseDurationText(duration.value);
    if (secs === null) {
      ends.textContent = "Write a duration such as 90m, 2h or 3d.";
      duration.setAttribute("aria-invalid", "true");
      return null;
    }
    duration.removeAttribute("aria-invalid");
    const e = new Date(startDate().getTime() + secs * 1000);
    ends.textContent = "Ends " + absTimeHere(e) + (utc ? " (" + e.toString().slice(16, 21) + " local)" : " (" + e.toISOString().slice(11, 16) + " UTC)");
    return e;
  }

  let debounce = 0;
  async function updatePreview() {
    submit.disabled = true;
    previewedFor = null;
    let list;
    try {
      list = splitMatchers(matchers.value);
      matchers.removeAttribute("aria-invalid");
    } catch (e) {
      matchers.setAttribute("aria-invalid", "true");
      counts.replaceChildren(el("li", { class: "error", text: e.message }));
      warnings.replaceChildren();
      preview.replaceChildren();
      return;
    }
    if (!list.length) {
      counts.replaceChildren();
      warnings.replaceChildren();
      preview.replaceChildren();
      return;
    }
    const asked = matchers.value;
    try {
      const p = await api("/api/v1/silences/preview", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ matchers: list }) });
      if (matchers.value !== asked) return;  // a newer edit is on its way
      counts.replaceChildren(...p.perMatcher.map((m) => el("li", {}, el("code", { text: m.matcher }), " matches " + m.matches + " of " + p.activeAlerts + " alert(s)")));
      warnings.replaceChildren(...p.warnings.map((w) => el("p", { class: "warning", text: "⚠ The silence " + w + "." })));
      preview.replaceChildren(el("h3", { text: "Preview: " + p.alerts.length + " alert(s) would be silenced" }), previewList(p));
      previewedFor = asked;
      submit.disabled = false;
    } catch (e) {
      if (matchers.value === asked) counts.replaceChildren(el("li", { class: "error", text: e.message }));
    }
  }
  matchers.addEventListener("input", () => { clearTimeout(debounce); submit.disabled = true; debounce = setTimeout(updatePreview, 250); });
  duration.addEventListener("input", updateEnds);
  start.addEventListener("input", () => { startTouched = true; updateEnds(); });
  recurring.addEventListener("change", () => { schedule.hidden = !recurring.checked; });

  const form = el("form", { id: "silence-form", class: "silence-form pauses-updates", novalidate: false,
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = "";
      if (previewedFor !== matchers.value) { error.textContent = "Look at the preview first: the matchers changed."; return; }
      const endDate = updateEnds();
      if (!endDate) return;
      prefs.name = creator.value;
      const body = { matchers: splitMatchers(matchers.value),
        startsAt: existing && !startTouched ? existing.startsAt : startDate().toISOString().replace(/\.\d+Z$/, "Z"),
        endsAt: endDate.toISOString().replace(/\.\d+Z$/, "Z"), createdBy: creator.value, comment: comment.value };
      if (existing) body.id = existing.id;
      if (keptSchedule) {
        body.schedule = keptSchedule;
      } else if (recurring.checked) {
        const weekdays = [...days.querySelectorAll("input:checked")].map((b) => b.value);
        body.schedule = { times: [{ start_time: from.value, end_time: to.value }], location: zone.value };
        if (weekdays.length) body.schedule.weekdays = weekdays;
      }
      submit.disabled = true;
      try {
        const r = await mutate("POST", "/api/v1/silences", body);
        location.hash = hashFor("silence", [r.silenceID]);
        say("Silence saved.");
      } catch (err) {
        error.textContent = err.message + (err.hint ? " (" + err.hint + ")" : "");
        submit.disabled = previewedFor !== matchers.value;
      }
    } },
    el("h2", { text: existing ? "Edit silence " + existing.id : "New silence" }),
    el("label", { for: "s-matchers", text: "Matchers, one per line (name=\"value\", name=~\"regex\", name!=\"value\")" }), matchers, counts,
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "s-start", text: "Starts (" + (utc ? "UTC" : "local time, " + Intl.DateTimeFormat().resolvedOptions().timeZone) + ")" }), start),
      el("div", {}, el("label", { for: "s-duration", text: "Duration" }), duration,
        el("span", { class: "presets" }, DURATIONS.map(([t]) => el("button", { type: "button", text: t,
          onclick: () => { duration.value = t; updateEnds(); } }))))),
    ends,
    el("label", {}, recurring, " Recurring: mute only at these times each week"), schedule,
    el("label", { for: "s-creator", text: "Created by" }), creator,
    el("label", { for: "s-comment", text: "Comment (why, ticket)" }), comment,
    warnings, preview, error,
    el("div", { class: "buttons" }, el("a", { class: "button", href: "#/silences", text: "Cancel" }), submit));
  updateEnds();
  setTimeout(updatePreview, 0);
  return form;
}

// ---------------------------------------------------------------------------------------------
// Acknowledgements

PAGES.acks = {
  title: "acknowledgements",
  live: true,
  async load() {
    const data = await api("/api/v1/acks");
    const root = el("div", {}, el("p", { id: "summary", text: data.acks.length + " acknowledgement(s); each clears when its alerts resolve" }));
    const table = el("table", { class: "list" }, el("thead", {}, el("tr", {},
      ["Who", "When", "Comment", "Scope", "Expires", "Actions"].map((h) => el("th", { scope: "col", text: h })))));
    const body = el("tbody");
    for (const a of data.acks)
      body.append(el("tr", { id: "ack-" + a.id },
        el("td", { text: a.author }), el("td", {}, timeEl(a.createdAt)), el("td", { class: "comment", text: a.comment }),
        el("td", {}, a.groupKey
          ? el("a", { href: hashFor("alerts", [], { group: a.groupKey }), text: "group " + a.groupKey })
          : a.fingerprints.map((f) => el("a", { href: hashFor("alerts", [], { fingerprint: f }), text: "alert " + f }))),
        el("td", {}, a.expiresAt ? timeEl(a.expiresAt) : "when resolved"),
        el("td", {}, a.fingerprints.length === 1 && !a.groupKey
          ? el("button", { type: "button", onclick: () => removeAck({ fingerprint: a.fingerprints[0] }), text: "Remove",
            "aria-label": "Remove the acknowledgement by " + a.author + " of alert " + a.fingerprints[0] }) : null)));
    table.append(body);
    root.append(data.acks.length ? table : el("p", { class: "muted", text: "No alert is acknowledged." }));
    return root;
  },
};

// ---------------------------------------------------------------------------------------------
// History

// The group labels at the end of a group key ("{}:{alertname=\"X\"}") as matchers; null when
// there is no key or it cannot be read.
function groupKeyMatchers(key) {
  const m = key && /:(\{[^{}]*\})$/.exec(key);
  if (!m) return null;
  try {
    const f = parseFilter(m[1]);
    return f.matchers.length ? f.matchers : null;
  } catch (e) {
    return null;
  }
}

const KIND_SYMBOL = { pending: "…", firing: "▲", resolved: "✓", silenced: "⊖", unsilenced: "⊕", inhibited: "⊘",
  uninhibited: "○", acknowledged: "✓", unacknowledged: "↺", notification: "✉", silence_created: "⊖", silence_expired: "⊕" };

function heatStrip(events, fp) {
  // 24 one-hour cells, the newest on the right: filled when the alert fired during that hour.
  const now = Date.now();
  const strip = el("span", { class: "heat", role: "img" });
  const mine = events.filter((e) => e.fingerprint === fp).sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  let firingHours = 0;
  for (let h = 23; h >= 0; --h) {
    const from = now - (h + 1) * 3600e3, to = now - h * 3600e3;
    // Firing in [from, to): an event inside it fired, or the last state before it was firing
    // (when the window's first state change is a resolution, it was firing before that).
    const first = mine.find((e) => e.kind === "firing" || e.kind === "resolved");
    let state = first && first.kind === "resolved" ? "firing" : null;
    for (const e of mine) {
      const t = Date.parse(e.time);
      if (t < from && (e.kind === "firing" || e.kind === "resolved")) state = e.kind;
    }
    const inside = mine.some((e) => { const t = Date.parse(e.time); return t >= from && t < to && e.kind === "firing"; });
    const hot = inside || state === "firing";
    firingHours += hot ? 1 : 0;
    strip.append(el("span", { class: "cell" + (hot ? " hot" : ""), title: absTime(new Date(from)) + (hot ? ": firing" : ": quiet") }));
  }
  strip.setAttribute("aria-label", "fired in " + firingHours + " of the last 24 hours");
  return strip;
}

PAGES.history = {
  title: "history",
  live: true,
  async load(route) {
    const p = route.params;
    const q = new URLSearchParams();
    for (const k of ["fingerprint", "group_key", "kind", "alertname", "severity", "receiver", "from", "to", "before"]) if (p.get(k)) q.set(k, p.get(k));
    if (p.get("filter")) {
      let f;
      try { f = parseFilter(p.get("filter")); } catch (e) { throw new ApiError(400, { error: "filter: " + e.message }); }
      for (const m of f.matchers) q.append("filter", m);
    }
    q.set("limit", 500);
    const data = await api("/api/v1/history?" + q);
    const byId = new Map(data.events.map((e) => [e.id, e]));
    const more = async (n) => { for (const e of (await api("/api/v1/history?" + n)).events) byId.set(e.id, e); };
    // A group's timeline: the notifications and group acks (which carry its key) and the events
    // of the alerts with the group's labels (the key ends with them: {route}:{labels}).
    const groupMatchers = groupKeyMatchers(p.get("group_key"));
    if (groupMatchers) {
      const n = new URLSearchParams(q);
      n.delete("group_key");
      for (const m of groupMatchers) n.append("filter", m);
      await more(n);
    }
    // One alert's timeline also shows the notifications of the group it is in now.
    if (p.get("fingerprint") && (!p.get("kind") || p.get("kind") === "notification")) {
      const groups = await api("/api/v1/alerts/groups?fingerprint=" + encodeURIComponent(p.get("fingerprint")) + "&alerts_per_group=1");
      for (const g of groups.groups) {
        const n = new URLSearchParams(q);
        n.delete("fingerprint");
        n.set("group_key", g.groupKey);
        n.set("kind", "notification");
        await more(n);
      }
    }
    data.events = [...byId.values()].sort((a, b) => b.id - a.id);
    // The heat strips come from their own query: the last 24 hours of every kind.
    const sq = new URLSearchParams();
    if (p.get("fingerprint")) sq.set("fingerprint", p.get("fingerprint"));
    for (const m of q.getAll("filter").concat(groupMatchers || [])) sq.append("filter", m);
    sq.set("from", new Date(Date.now() - 24 * 3600e3).toISOString().replace(/\.\d+Z$/, "Z"));
    sq.set("limit", 1000);
    const recent = (await api("/api/v1/history?" + sq)).events;
    const root = el("div", {}, filterBar(route, "alertname=\"DiskFull\", severity=\"critical\""));
    const kinds = el("div", { class: "tabs", role: "group", "aria-label": "Event kind" });
    for (const k of ["", "firing", "resolved", "silenced", "acknowledged", "notification", "silence_created", "silence_expired"])
      kinds.append(el("a", { href: "#", "aria-current": (p.get("kind") || "") === k ? "page" : null, text: k || "all",
        onclick: (e) => { e.preventDefault(); setParams({ kind: k, before: "" }); } }));
    const range = el("div", { class: "tabs", role: "group", "aria-label": "Time range" });
    for (const [label, hours] of [["1 h", 1], ["24 h", 24], ["7 d", 168], ["all", 0]]) {
      const from = hours ? new Date(Date.now() - hours * 3600e3).toISOString().replace(/\.\d+Z$/, "Z") : "";
      range.append(el("a", { href: "#", "aria-current": (p.get("range") || "all") === label ? "page" : null, text: label,
        onclick: (e) => { e.preventDefault(); setParams({ from, range: label === "all" ? "" : label, before: "" }); } }));
    }
    root.append(el("div", { class: "toolbar" }, kinds, range));
    const subject = p.get("fingerprint") ? "alert " + p.get("fingerprint") : p.get("group_key") ? "group " + p.get("group_key") : "";
    root.append(el("p", { id: "summary", text: data.events.length + " event(s)" + (subject ? " of " + subject : "") }));
    // Per alert: its 24-hour heat strip.
    const byAlert = new Map();
    for (const e of recent.concat(data.events)) if (e.fingerprint && !byAlert.has(e.fingerprint)) byAlert.set(e.fingerprint, e);
    if (byAlert.size) {
      const strips = el("table", { class: "list strips" }, el("caption", { text: "Last 24 hours, one cell an hour (newest right)" }));
      for (const [fp, e] of [...byAlert].slice(0, 50))
        strips.append(el("tr", {}, el("td", {}, el("a", { href: hashFor("history", [], { fingerprint: fp }), text: e.alertname || fp })),
          el("td", {}, labelChips(e.labels, { alertname: 1 })), el("td", {}, heatStrip(recent, fp))));
      root.append(strips);
    }
    // The timeline: state changes (with the value), silences, acks and notifications on one axis.
    const ol = el("ol", { class: "timeline" });
    for (const e of data.events) {
      const d = e.detail || {};
      const what = e.kind === "notification" ? (d.outcome || "") + " via " + (d.notifier || "") + " to " + (e.receiver || "") + (d.error ? ": " + d.error : "")
        : e.kind.startsWith("silence_") ? (d.matchers || d.id || "") + (d.comment ? " — " + d.comment : "") + (d.createdBy ? " by " + d.createdBy : "") + (d.principal && !d.createdBy ? " by " + d.principal : "")
          : [d.value !== undefined ? "value " + d.value : "", d.summary || "", d.author ? "by " + d.author + (d.comment ? ": " + d.comment : "") : "",
            Array.isArray(d.by) ? (e.kind === "silenced" ? "by silence " : "by ") + d.by.join(", ") : "", d.principal ? "by " + d.principal : ""].filter(Boolean).join(" — ");
      ol.append(el("li", { class: "event kind-" + e.kind },
        el("span", { class: "when" }, timeEl(e.time)),
        el("span", { class: "kind", text: (KIND_SYMBOL[e.kind] || "•") + " " + e.kind.replace("_", " ") }),
        e.alertname ? el("a", { href: hashFor("history", [], { fingerprint: e.fingerprint }), text: e.alertname }) : null,
        e.severity ? severityChip({ severity: e.severity }) : null,
        el("span", { class: "what", text: " " + what })));
    }
    root.append(data.events.length ? ol : el("p", { class: "muted", text: "No events match." }));
    root.append(el("p", { class: "pager" },
      p.get("before") ? el("a", { href: "#", text: "← Newest events", onclick: (e) => { e.preventDefault(); setParams({ before: "" }); } }) : null,
      data.next ? el("a", { href: "#", text: "Older events →",
        onclick: (e) => { e.preventDefault(); setParams({ before: data.next.split("=")[1] }); } }) : null));
    return root;
  },
};

// ---------------------------------------------------------------------------------------------
// Receivers

PAGES.receivers = {
  title: "receivers",
  live: true,
  async load(route) {
    const data = await api("/api/v1/receivers");
    const open = route.params.get("receiver");
    const root = el("div", {});
    const table = el("table", { class: "list" }, el("thead", {}, el("tr", {},
      ["Receiver", "Notifiers", "Last success", "Last error", "Retry queue", "Dead letters", "p99 delivery", ""].map((h) => el("th", { scope: "col", text: h })))));
    const body = el("tbody");
    for (const r of data.receivers) {
      const failing = r.lastFailure && (!r.lastSuccess || Date.parse(r.lastFailure) > Date.parse(r.lastSuccess));
      body.append(el("tr", { id: "receiver-" + r.name, class: failing ? "failing" : "" },
        el("th", { scope: "row" }, el("a", { href: hashFor("receivers", [], { receiver: r.name }), text: r.name })),
        el("td", { text: r.notifiers.join(", ") }),
        el("td", {}, timeEl(r.lastSuccess)),
        el("td", {}, r.lastError ? el("span", { class: "error", text: "✗ " + r.lastError + " " }) : el("span", { class: "muted", text: "none" }), r.lastFailure ? timeEl(r.lastFailure) : null),
        el("td", { text: String(r.pending) }),
        el("td", { class: r.deadLetters ? "error" : "", text: String(r.deadLetters) }),
        el("td", { text: r.p99DeliverySeconds ? (r.p99DeliverySeconds * 1000).toFixed(0) + " ms" : "—" }),
        el("td", {}, el("button", { type: "button", text: "Send test notification", onclick: async () => {
          try {
            await mutate("POST", "/api/v1/receivers/" + encodeURIComponent(r.name) + "/test");
            say("Test notification queued for " + r.name + ".");
            setParams({ receiver: r.name });
          } catch (e) {
            alert("Not sent: " + e.message);
          }
        } }))));
    }
    table.append(body);
    root.append(table);
    if (open) {
      const log = await api("/api/v1/receivers/" + encodeURIComponent(open) + "/log");
      root.append(el("h2", { text: "Notification log: " + open }));
      const t = el("table", { class: "list", id: "notification-log" }, el("thead", {}, el("tr", {},
        ["Created", "Notifier", "Outcome", "Attempts", "Next attempt", "Error", "Group"].map((h) => el("th", { scope: "col", text: h })))));
      const b = el("tbody");
      for (const n of log.notifications)
        b.append(el("tr", {}, el("td", {}, timeEl(n.createdAt)), el("td", { text: n.notifier }),
          el("td", {}, el("span", { class: "chip outcome-" + n.state, text: n.state })), el("td", { text: String(n.attempts) }),
          el("td", {}, n.state === "pending" ? timeEl(n.nextAttemptAt) : "—"), el("td", { class: "error", text: n.lastError }),
          el("td", {}, el("a", { href: hashFor("alerts", [], { group: n.groupKey }), text: n.groupKey }))));
      t.append(b);
      root.append(log.notifications.length ? t : el("p", { class: "muted", text: "Nothing sent yet." }));
    }
    return root;
  },
};

// ---------------------------------------------------------------------------------------------
// Health

PAGES.health = {
  title: "health",
  live: true,
  async load() {
    const [s, ready] = await Promise.all([api("/api/v1/status"), fetch("/readyz", { cache: "no-store" }).then((r) => r.json())]);
    const ok = (b) => el("span", { class: "chip " + (b ? "ok" : "bad"), text: b ? "✓ ok" : "✗ failing" });
    const root = el("div", {});
    root.append(el("p", { id: "summary" }, el("span", { class: "chip " + (ready.ready ? "ok" : "bad"), text: ready.ready ? "✓ ready" : "✗ not ready" }),
      " vigil " + s.version + " · plugin ABI " + s.hostAbi + " · config " + s.configSource + " · started ",
      timeEl(new Date(s.startedAt * 1000).toISOString())));
    const reload = s.lastReload;
    root.append(el("h2", { text: "Configuration" }), el("p", {}, reload
      ? [reload.applied ? "✓ last reload applied " : "✗ last reload rejected ", timeEl(new Date(reload.at * 1000).toISOString()),
        reload.problems.length ? el("ul", { class: "problems" }, reload.problems.map((p) => el("li", { class: "error", text: p }))) : null]
      : "not reloaded since start"));
    root.append(el("h2", { text: "Collectors" }));
    const ct = el("table", { class: "list" }, el("thead", {}, el("tr", {}, ["Collector", "", "Last success", "Every", "Last error"].map((h) => el("th", { scope: "col", text: h })))));
    const cb = el("tbody");
    for (const c of s.collectors)
      cb.append(el("tr", {}, el("th", { scope: "row", text: c.plugin + (c.alias !== c.plugin ? "/" + c.alias : "") + (c.optional ? " (optional)" : "") }),
        el("td", {}, ok(c.healthy)), el("td", { text: c.secondsSinceSuccess === null ? "never" : span(c.secondsSinceSuccess) + " ago" }),
        el("td", { text: c.interval + " s" }), el("td", { class: "error", text: c.lastError })));
    ct.append(cb);
    root.append(ct);
    root.append(el("h2", { text: "Store and cache" }), el("ul", {},
      el("li", {}, "Alerting store: ", ok(s.alertingStore.ok), " ", s.alertingStore.error),
      el("li", {}, "Cache: ", s.cache ? [s.cache.backend + " ", ok(s.cache.ok), " ", s.cache.error] : "none configured")));
    root.append(el("h2", { text: "Plugins loaded" }));
    const pt = el("table", { class: "list" }, el("thead", {}, el("tr", {}, ["Plugin", "Version", "ABI", "Provides", "Description"].map((h) => el("th", { scope: "col", text: h })))));
    const pb = el("tbody");
    for (const p of s.plugins)
      pb.append(el("tr", {}, el("th", { scope: "row", text: p.name, title: p.path }), el("td", { text: p.version }), el("td", { text: p.abi }),
        el("td", { text: p.provides.join(", ") }), el("td", { text: p.description })));
    pt.append(pb);
    root.append(pt);
    root.append(el("h2", { text: "Refused or skipped" }));
    const refused = [...s.refused.map((r) => r.reason), ...s.skipped];
    root.append(refused.length ? el("ul", { class: "problems" }, refused.map((r) => el("li", { class: "error", text: r })))
      : el("p", { class: "muted", text: "Nothing was refused." }));
    return root;
  },
};

// ---------------------------------------------------------------------------------------------
// Benchmarks

function fmt(n, digits) { return Number(n).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 1 : digits }); }

PAGES.bench = {
  title: "benchmarks",
  async load() {
    const data = await api("/api/v1/bench/runs");
    const root = el("div", {});
    if (!data.runs.length) {
      root.append(el("p", { class: "muted", text: "No runs are kept. Scenarios with a schedule ([[scenarios.NAME]] schedule = \"1h\") keep their reports under the state directory." }));
      return root;
    }
    const form = el("form", { class: "pauses-updates", onsubmit: (e) => {
      e.preventDefault();
      const b = form.querySelector("input[name=baseline]:checked"), c = form.querySelector("input[name=current]:checked");
      if (b && c) location.hash = hashFor("compare", [], { baseline: b.value, current: c.value });
    } });
    const table = el("table", { class: "list" }, el("thead", {}, el("tr", {},
      ["Run", "Verdict", "Load", "Requests/s", "p50", "p95", "p99", "Errors", "Baseline", "Current"].map((h) => el("th", { scope: "col", text: h })))));
    const body = el("tbody");
    data.runs.forEach((r, i) => {
      if (r.error) { body.append(el("tr", {}, el("td", { text: r.id }), el("td", { colspan: 9, class: "error", text: r.error }))); return; }
      body.append(el("tr", {},
        el("th", { scope: "row" }, el("a", { href: hashFor("run", r.id.split("/")), text: r.scenario }), " ", timeEl(r.startedAt)),
        el("td", {}, el("span", { class: "chip " + (r.passed ? "ok" : "bad"), text: r.passed ? "✓ passed" : "✗ failed" })),
        el("td", { text: r.load }), el("td", { text: fmt(r.rps, 0) }),
        el("td", { text: fmt(r.p50Ms, 2) + " ms" }), el("td", { text: fmt(r.p95Ms, 2) + " ms" }), el("td", { text: fmt(r.p99Ms, 2) + " ms" }),
        el("td", { text: fmt(r.errorRate * 100, 2) + " %" }),
        el("td", {}, el("input", { type: "radio", name: "baseline", value: r.id, "aria-label": "baseline " + r.id, checked: i === 1 })),
        el("td", {}, el("input", { type: "radio", name: "current", value: r.id, "aria-label": "current " + r.id, checked: i === 0 }))));
    });
    table.append(body);
    form.append(table, el("button", { class: "primary", text: "Compare baseline with current" }));
    root.append(el("p", { id: "summary", text: data.runs.length + " run(s) kept" }), form);
    return root;
  },
};

PAGES.run = {
  title: "benchmark run",
  async load(route) {
    const id = route.args.join("/");
    const data = await api("/api/v1/bench/runs/" + route.args.map(encodeURIComponent).join("/"));
    const h = data.headline;
    const root = el("div", { class: "detail" }, el("p", {}, el("a", { href: "#/bench", text: "← all runs" })));
    root.append(el("h2", {}, el("span", { class: "chip " + (h.passed ? "ok" : "bad"), text: h.passed ? "✓ passed" : "✗ failed" }),
      " " + h.scenario + " · " + fmt(h.rps, 0) + " requests/s · p99 " + fmt(h.p99Ms, 2) + " ms"));
    // The report itself, as `vigil bench run` writes it: one renderer for both. When reads need
    // the token a frame cannot send it: the report is fetched with it and saved instead.
    const path = "/api/v1/bench/runs/" + route.args.map(encodeURIComponent).join("/");
    const open = await fetch(path + "/report.html", { cache: "no-store", method: "GET", credentials: "omit" });
    if (open.status === 401) {
      const save = (suffix, name, type) => el("button", { type: "button", text: "Save the " + name, onclick: async () => {
        const r = await fetch(path + suffix, { headers: { Authorization: "Bearer " + (sessionStorage.getItem("vigil.token") || "") } });
        const a = el("a", { href: URL.createObjectURL(new Blob([await r.text()], { type })), download: id.replace("/", "-") + (suffix ? ".html" : ".json") });
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 1000);
      } });
      root.append(el("p", { class: "actions" }, save("/report.html", "HTML report", "text/html"), save("", "JSON report", "application/json")));
    } else {
      root.append(el("iframe", { class: "report", title: "Report of " + id, sandbox: "", src: path + "/report.html" }));
      root.append(el("p", {}, el("a", { href: path, text: "JSON report" })));
    }
    return root;
  },
};

PAGES.compare = {
  title: "compare runs",
  async load(route) {
    const q = new URLSearchParams();
    for (const k of ["baseline", "current"]) q.set(k, route.params.get(k) || "");
    const goals = (route.params.get("goals") || "").split(",").map((g) => g.trim()).filter(Boolean);
    for (const g of goals) q.append("goal", g);
    const data = await api("/api/v1/bench/compare?" + q);
    const root = el("div", { class: "detail" }, el("p", {}, el("a", { href: "#/bench", text: "← all runs" })));
    const anyGoal = data.rows.some((r) => r.hasGoal);
    root.append(el("h2", {}, anyGoal ? el("span", { class: "chip " + (data.passed ? "ok" : "bad"), text: data.passed ? "✓ goals met" : "✗ goals missed" })
      : el("span", { class: "chip", text: "no goals" }), " " + data.baseline.id + " → " + data.current.id));
    const input = el("input", { id: "goals", value: route.params.get("goals") || "", placeholder: "rps=+50%, p95=-30%, error_rate=<=0.01", size: 40 });
    root.append(el("form", { class: "toolbar pauses-updates", onsubmit: (e) => { e.preventDefault(); setParams({ goals: input.value.trim() }); } },
      el("label", { for: "goals", text: "Goals (besides the scenario's)" }), input, el("button", { text: "Judge" })));
    const t = el("table", { class: "list compare" }, el("thead", {}, el("tr", {},
      ["Metric", "Baseline", "Current", "Change", "Goal", ""].map((h) => el("th", { scope: "col", text: h })))));
    const b = el("tbody");
    for (const r of data.rows)
      b.append(el("tr", {}, el("th", { scope: "row", text: r.metric }),
        el("td", { text: fmt(r.baseline, 3) + " " + r.unit }), el("td", { text: fmt(r.current, 3) + " " + r.unit }),
        el("td", { text: (r.change >= 0 ? "+" : "") + fmt(r.change * 100, 1) + " %" }),
        el("td", { text: r.goal || "—" }),
        el("td", {}, r.hasGoal ? el("span", { class: "chip " + (r.passed ? "ok" : "bad"), text: r.passed ? "✓ met" : "✗ missed" }) : null)));
    t.append(b);
    root.append(t);
    return root;
  },
};

PAGES.notfound = {
  title: "not found",
  async load(route) {
    return el("p", { class: "error", text: "No page \"" + route.page + "\". Use the navigation above." });
  },
};

// ---------------------------------------------------------------------------------------------
// Start-up: preferences, keyboard, refresh loop

function applyTheme() {
  const t = prefs.theme;
  if (t === "auto") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.dataset.theme = t;
  document.getElementById("theme").value = t;
}

function applyTz() {
  const b = document.getElementById("tz");
  b.textContent = prefs.utc ? "UTC" : "Local";
  b.setAttribute("aria-label", "Absolute times in " + (prefs.utc ? "UTC" : "local time") + "; switch");
}

function togglePause() {
  app.paused = !app.paused;
  const b = document.getElementById("pause");
  b.setAttribute("aria-pressed", String(app.paused));
  b.textContent = app.paused ? "Resume" : "Pause";
  if (!app.paused) refresh(true);
  schedule();
  showUpdated();
}

document.addEventListener("DOMContentLoaded", () => {
  applyTheme();
  applyTz();
  document.getElementById("theme").addEventListener("change", (e) => { prefs.theme = e.target.value; applyTheme(); });
  document.getElementById("tz").addEventListener("click", () => {
    prefs.utc = !prefs.utc;
    applyTz();
    if (!busy()) refresh();
  });
  document.getElementById("pause").addEventListener("click", togglePause);
  document.getElementById("refresh-every").addEventListener("change", (e) => {
    setParams({ refresh: e.target.value === "5" ? "" : e.target.value }, !busy());
    schedule();
  });
  document.getElementById("help-button").addEventListener("click", () => document.getElementById("help-dialog").showModal());
  for (const b of document.querySelectorAll("dialog button.cancel")) b.addEventListener("click", () => b.closest("dialog").close("cancel"));
  document.querySelector(".skip").addEventListener("click", (e) => {
    e.preventDefault();
    document.getElementById("page").focus();
  });
  const main = document.getElementById("page");
  main.addEventListener("mouseleave", () => { if (app.pendingRender) app.pendingRender(); });
  let prefix = "";
  document.addEventListener("keydown", (e) => {
    const typing = e.target.closest && e.target.closest("input, textarea, select");
    if (e.key === "Escape") {
      if (typing) e.target.blur();
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
    if (prefix === "g") {
      prefix = "";
      const page = { a: "alerts", s: "silences", k: "acks", h: "history", r: "receivers", e: "health", b: "bench" }[e.key];
      if (page) location.hash = "#/" + page;
      return;
    }
    if (e.key === "/") {
      const f = document.getElementById("filter-input");
      if (f) { e.preventDefault(); f.focus(); }
    } else if (e.key === "?") {
      document.getElementById("help-dialog").showModal();
    } else if (e.key === "p") {
      togglePause();
    } else if (e.key === "g") {
      prefix = "g";
      setTimeout(() => { prefix = ""; }, 1500);
    }
  });
  document.addEventListener("visibilitychange", schedule);
  window.addEventListener("hashchange", navigate);
  setInterval(showUpdated, 1000);
  navigate();
});
