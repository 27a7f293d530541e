// The web console in headless Chromium against a real vigil with real alerts, a real notifier
// and real scheduled benchmark runs (against a loopback HTTP target started here). It walks every
// page: alerts (markup in an annotation shown as text, a matcher filter kept in the URL, an ack
// through the dialog with the token asked once), a silence created through the form with its
// required preview (the alert becomes silenced), the silences list, history with the heat strip,
// receivers with a test notification, health, a benchmark report and a comparison. No Content-
// Security-Policy violation may occur. It photographs each page in both themes and measures
// page weight, API requests per refresh and first render with 1,000 and 10,000 alerts.
//   node console_test.mjs VIGIL PLUGIN_DIR... -- OUT_DIR
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
const vigil = args[0];
const outDir = args[args.length - 1];
const pluginDirs = args.slice(1, -1);
const dir = mkdtempSync(join(tmpdir(), "vigil-ui-"));

// The benchmark target: answers every request with a small JSON body.
const target = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end('{"reply":"ok"}');
  });
});
await new Promise((resolve) => target.listen(0, "127.0.0.1", resolve));
const targetPort = target.address().port;

mkdirSync(join(dir, "rules"));
writeFileSync(join(dir, "rules", "fixture.yml"), `groups:
  - name: fixture
    interval: 200ms
    rules:
      - alert: FixtureHigh
        expr: fixture_value > 1
        labels:
          severity: critical
        annotations:
          summary: "value {{ $value }}"
      - alert: FixtureSlow
        expr: fixture_value > 1
        for: 1h
        labels:
          severity: warning
`);
writeFileSync(join(dir, "vigil.toml"), `[agent]
interval = "200ms"
timeout = "150ms"
state_dir = "${dir}/state"
plugin_dirs = ${JSON.stringify(pluginDirs)}
[http]
listen = "127.0.0.1:0"
api_token = "t0ken"
[rules]
files = ["rules/*.yml"]
[[collectors.no_op]]
value = 3
[[notifiers.log]]
[alerting]
external_url = "http://vigil.example:9479"
[alerting.route]
receiver = "default"
group_by = ["alertname"]
group_wait = "100ms"
[[alerting.receivers]]
name = "default"
notifiers = ["log"]
[[scenarios.http_message]]
alias = "chat"
target = "http://127.0.0.1:${targetPort}"
vus = 2
duration = "1s"
schedule = "2s"
thresholds = ["p99 < 2s"]
`);

const agents = [];
let log = "";
// Starts vigil on `config`; resolves to its HTTP port.
function startAgent(config) {
  const agent = spawn(vigil, ["run", "--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  agents.push(agent);
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("vigil did not start:\n" + out)), 10000);
    agent.on("exit", (code) => reject(new Error("vigil exited with " + code + ":\n" + out)));
    agent.stderr.on("data", (d) => {
      out += d;
      log += d;
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
}
const port = await startAgent(join(dir, "vigil.toml"));
const base = `http://127.0.0.1:${port}`;
const api = async (path, opts) => (await (await fetch(base + path, opts)).json()).data;
const post = (path, body) => fetch(base + path, {
  method: "POST", headers: { Authorization: "Bearer t0ken", "Content-Type": "application/json" }, body: JSON.stringify(body),
});
async function until(what, check, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const messages = [];
const violations = [];
const figures = {};
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
mkdirSync(outDir, { recursive: true });
async function photograph(page, name, fullPage = true) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(outDir, `${name}-${scheme}.png`), fullPage });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

const page = await browser.newPage();
// The card of the alert named `name` (alertname is shown once, in its group's header).
const card = (name) => page.locator("section.group", { has: page.locator("h2 .label", { hasText: `alertname="${name}"` }) })
  .locator("article.alert").first();
try {
  page.on("console", (m) => {
    messages.push(m.type() + ": " + m.text());
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on("pageerror", (e) => violations.push("page error: " + e.message));
  page.on("dialog", (d) => d.accept());  // the expire confirmation
  const apiRequests = [];
  page.on("request", (r) => { if (r.url().includes("/api/")) apiRequests.push({ at: Date.now(), url: r.url() }); });

  assert.equal((await post("/api/v2/alerts", [
    { labels: { alertname: "Xss", severity: "warning" }, annotations: { summary: "<script>window.pwned = 1</script><b>bold</b>" } },
  ])).status, 200);

  // ---- Alerts
  const started = Date.now();
  const response = await page.goto(base + "/ui/");
  assert.match(response.headers()["content-security-policy"], /default-src 'self'; script-src 'self'/);
  await card("FixtureHigh").waitFor({ timeout: 10000 });
  await card("Xss").waitFor({ timeout: 10000 });
  figures.firstRenderSmallMs = Date.now() - started;

  // Markup in an annotation is text: shown literally, never parsed.
  assert.equal(await page.locator("p.annotation", { hasText: "<script>window.pwned = 1</script><b>bold</b>" }).count(), 1);
  assert.equal(await page.evaluate(() => document.querySelectorAll("main script, main b").length), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  // Severity as symbol and word, the count in the title.
  assert.equal(await page.locator("article.alert .chip", { hasText: "▲ critical" }).count(), 1);
  assert.match(await page.title(), /\(2\) vigil: alerts/);
  // A rule's pending alert (its `for` not elapsed) is shown apart, as pending.
  await page.locator("section.pending article.alert", { hasText: 'alertname="FixtureSlow"' }).locator(".chip", { hasText: "… pending" }).waitFor();
  await photograph(page, "alerts");

  // API requests per live refresh: one.
  const before = apiRequests.length;
  await page.waitForTimeout(5600);
  figures.apiRequestsPerRefresh = apiRequests.length - before;
  assert.equal(figures.apiRequestsPerRefresh, 1, JSON.stringify(apiRequests.slice(before)));

  // A matcher filter narrows the page and goes into the URL, surviving a reload; @state too.
  await page.keyboard.press("/");
  await page.keyboard.type('alertname="Xss"');
  await page.keyboard.press("Enter");
  await until("one card", () => page.evaluate(() => document.querySelectorAll("article.alert").length === 1));
  assert.match(page.url(), /#\/alerts\?filter=alertname%3D%22Xss%22/);
  await page.reload();
  await until("one card", () => page.evaluate(() => document.querySelectorAll("article.alert").length === 1));
  assert.equal(await page.inputValue("#filter-input"), 'alertname="Xss"');
  await page.goto(base + "/ui/#/alerts?filter=" + encodeURIComponent("@state=active, severity=\"critical\""));
  await page.locator("#summary", { hasText: "1 alert(s)" }).waitFor();
  // Grouped by a label instead of the routes: a view kept in the URL.
  await page.goto(base + "/ui/#/alerts");
  await page.selectOption("#group-by", "severity");
  await page.waitForURL(/group_by=severity/);
  await page.locator("section.group h2 .label", { hasText: 'severity="critical"' }).waitFor();
  await page.locator("section.group h2 .label", { hasText: 'severity="warning"' }).waitFor();
  await page.goto(base + "/ui/#/alerts?filter=" + encodeURIComponent("nonsense"));
  await page.locator(".error-box", { hasText: "filter" }).waitFor();

  // Ack from the card: the dialog asks who, then the token once (kept in this tab, not the URL).
  await page.goto(base + "/ui/#/alerts");
  const xss = card("Xss");
  await xss.locator("button.ack").click();
  await page.fill("#ack-author", "ada");
  await page.fill("#ack-comment", "looking");
  await page.click("#ack-form button[value=ok]");
  await page.locator("#token-dialog[open]").waitFor();
  await page.fill("#token-input", "t0ken");
  await page.press("#token-input", "Enter");  // Enter submits (the primary button), never cancels
  await xss.locator(".chip", { hasText: "acknowledged by ada" }).waitFor();
  // Esc in the ack dialog acknowledges nothing, even after an ack was confirmed in it.
  await card("FixtureHigh").locator("button.ack").click();
  await page.locator("#ack-dialog[open]").waitFor();
  await page.keyboard.press("Escape");
  await page.waitForTimeout(500);
  assert.equal((await api("/api/v1/acks")).acks.length, 1);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("vigil.token")), "t0ken");
  assert.doesNotMatch(page.url(), /t0ken/);

  // Silence from the card: the form is filled with the alert's labels; its preview is required.
  const fixtureFp = await card("FixtureHigh").getAttribute("data-fingerprint");
  await card("FixtureHigh").locator("a", { hasText: "Silence" }).click();
  await page.locator("#silence-form").waitFor();
  assert.match(await page.inputValue("#s-matchers"), /alertname="FixtureHigh"/);
  await page.locator("#s-preview h3", { hasText: "1 alert(s) would be silenced" }).waitFor();
  await page.locator("#s-matcher-counts li", { hasText: "matches 1 of" }).first().waitFor();
  // A matcher matching nothing warns, and the button waits for the new preview.
  await page.fill("#s-matchers", 'alertname="Nothing"');
  await page.locator("#s-warnings", { hasText: "matches no current alert" }).waitFor();
  await page.fill("#s-matchers", 'alertname="FixtureHigh"\nseverity="critical"');
  await page.locator("#s-preview h3", { hasText: "1 alert(s) would be silenced" }).waitFor();
  await page.click(".presets button:text('4h')");
  assert.match(await page.textContent("#s-ends"), /Ends \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  await page.fill("#s-comment", "maintenance");
  await photograph(page, "silence-form");
  await page.click("#silence-form button.primary");
  await page.waitForURL(/#\/silence\/[0-9a-f-]+$/);
  await page.locator(".detail .chip", { hasText: "active" }).waitFor();
  await photograph(page, "silence");
  await page.goto(base + "/ui/#/alerts");
  await card("FixtureHigh").locator(".chip", { hasText: "silenced" }).waitFor();

  // The silences list, extend from it.
  await page.goto(base + "/ui/#/silences");
  const row = page.locator("table.list tbody tr").first();
  await row.waitFor();
  assert.match(await row.textContent(), /maintenance/);
  assert.equal(await row.locator("td").nth(2).textContent(), "1");
  await photograph(page, "silences");
  const [original] = (await api("/api/v1/silences")).silences;
  await row.locator("button", { hasText: "+1 h" }).click();
  // Extended in place: the same silence, an hour longer.
  await until("the extension", async () => (await api("/api/v1/silences/" + original.id)).endsAt > original.endsAt);
  const silences = (await api("/api/v1/silences")).silences;
  assert.equal(silences.length, 1);
  assert.equal(Date.parse(silences[0].endsAt) - Date.parse(original.endsAt), 3600e3);

  // Acknowledgements page.
  await page.goto(base + "/ui/#/acks");
  await page.locator("table.list td", { hasText: "ada" }).waitFor();
  await photograph(page, "acks");

  // History of the silenced alert: firing and silenced on one axis, and its heat strip.
  await page.goto(base + "/ui/#/history?fingerprint=" + fixtureFp);
  await page.locator(".timeline .event.kind-firing").first().waitFor();
  await page.locator(".timeline .event.kind-silenced").first().waitFor();
  await page.locator(".timeline .event.kind-notification").first().waitFor();  // its group's, on the same axis
  assert.ok(await page.locator(".heat .cell.hot").count() >= 1);
  await photograph(page, "history");
  // A group's timeline: its alerts' state changes and its notifications on one axis.
  await page.goto(base + "/ui/#/alerts");
  await card("FixtureHigh").waitFor();
  await page.locator("section.group", { has: page.locator("h2 .label", { hasText: 'alertname="FixtureHigh"' }) })
    .locator(".group-actions a", { hasText: "History" }).click();
  await page.waitForURL(/#\/history\?group_key=/);
  await page.locator(".timeline .event.kind-firing").first().waitFor();
  await page.locator(".timeline .event.kind-notification").first().waitFor();

  // Receivers: send a test notification and see it in the log.
  await page.goto(base + "/ui/#/receivers");
  await page.locator("#receiver-default button", { hasText: "Send test notification" }).click();
  await page.waitForURL(/receiver=default/);
  await page.locator("#notification-log tbody tr").first().waitFor({ timeout: 15000 });
  await photograph(page, "receivers");

  // Health.
  await page.goto(base + "/ui/#/health");
  await page.locator("#summary .chip", { hasText: "ready" }).waitFor();
  await page.locator("table.list th", { hasText: "no_op" }).first().waitFor();
  assert.match(await page.textContent("#summary"), /plugin ABI \d+\.\d+/);
  await photograph(page, "health");

  // Benchmarks: two scheduled runs, one report, one comparison.
  await until("two benchmark runs", async () => (await api("/api/v1/bench/runs")).runs.length >= 2, 30000);
  await page.goto(base + "/ui/#/bench");
  await page.locator("table.list tbody tr").nth(1).waitFor();
  await photograph(page, "bench");
  await page.locator("table.list tbody tr").first().locator("a").first().click();
  await page.waitForURL(/#\/run\/chat\//);
  const frame = page.frameLocator("iframe.report");
  await frame.locator("body", { hasText: "requests" }).first().waitFor();
  await photograph(page, "bench-run");
  await page.goto(base + "/ui/#/bench");
  await page.locator("#page form button.primary").click();
  await page.waitForURL(/#\/compare\?/);
  await page.locator("table.compare th", { hasText: "rps" }).waitFor();
  // A goal given on the page judges the comparison (and goes into the URL).
  await page.fill("#goals", "rps=+1000%");
  await page.press("#goals", "Enter");
  await page.waitForURL(/goals=rps/);
  await page.locator("h2 .chip", { hasText: "✗ goals missed" }).waitFor();
  await photograph(page, "bench-compare");

  // Expire the silence from the list (after the confirmation).
  await page.goto(base + "/ui/#/silences");
  await page.locator("table.list tbody tr button.danger").first().click();
  await until("the expiry", async () => (await api("/api/v1/silences?state=active")).silences.length === 0);

  // The skip link moves focus to the content and leaves the view alone.
  const here = page.url();
  await page.focus(".skip");
  await page.keyboard.press("Enter");
  assert.equal(page.url(), here);
  assert.equal(await page.evaluate(() => document.activeElement.id), "page");
  assert.equal(await page.locator("text=No page").count(), 0);

  // Preferences: theme switch, UTC/local, help.
  await page.selectOption("#theme", "dark");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.selectOption("#theme", "auto");
  await page.click("#tz");
  assert.equal(await page.textContent("#tz"), "Local");
  await page.click("#tz");
  await page.keyboard.press("?");
  await page.locator("#help-dialog[open]").waitFor();
  await page.keyboard.press("Escape");

  // An agent whose reads need the token: the console asks for it once, then shows the data; a
  // benchmark report (which a frame could not fetch) is offered for saving instead.
  const dir2 = join(dir, "private");
  mkdirSync(join(dir2, "state", "bench", "chat"), { recursive: true });
  const [run] = (await api("/api/v1/bench/runs")).runs;
  writeFileSync(join(dir2, "state", "bench", "chat", run.id.split("/")[1] + ".json"),
    JSON.stringify((await api("/api/v1/bench/runs/" + run.id))));
  writeFileSync(join(dir2, "vigil.toml"), `[agent]
state_dir = "${dir2}/state"
plugin_dirs = ${JSON.stringify(pluginDirs)}
[http]
listen = "127.0.0.1:0"
api_token = "s3cret"
read_requires_token = true
[[notifiers.log]]
[alerting.route]
receiver = "default"
[[alerting.receivers]]
name = "default"
notifiers = ["log"]
`);
  const base2 = `http://127.0.0.1:${await startAgent(join(dir2, "vigil.toml"))}`;
  const page2 = await browser.newPage();
  page2.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await page2.goto(base2 + "/ui/#/alerts");
  await page2.locator("#token-dialog[open]").waitFor();
  await page2.fill("#token-input", "s3cret");
  await page2.press("#token-input", "Enter");
  await page2.locator("#summary", { hasText: "No alerts match." }).waitFor();
  await page2.goto(base2 + "/ui/#/run/" + run.id);
  await page2.locator("button", { hasText: "Save the HTML report" }).waitFor();
  const download = page2.waitForEvent("download");
  await page2.click("button:text('Save the HTML report')");
  assert.match((await download).suggestedFilename(), /^chat-.*\.html$/);
  await page2.close();

  // Page weight: the HTML, JS and CSS as served.
  let weight = 0;
  for (const f of ["", "console.js", "console.css"]) weight += (await (await fetch(base + "/ui/" + f)).arrayBuffer()).byteLength;
  figures.pageWeightBytes = weight;

  // First render of the alerts page with 1,000 and then 10,000 alerts (in 100 groups).
  for (const total of [1000, 10000]) {
    const have = (await api("/api/v1/alerts/groups?limit=1")).totals.alerts;
    for (let i = have; i < total + 2;) {
      const batch = [];
      for (; batch.length < 1000 && i < total + 2; ++i)
        batch.push({ labels: { alertname: "Load" + (i % 100), instance: "host-" + i, severity: i % 10 ? "warning" : "critical" },
                     annotations: { summary: "synthetic alert " + i } });
      assert.equal((await post("/api/v2/alerts", batch)).status, 200);
    }
    await until(total + " alerts", async () => (await api("/api/v1/alerts/groups?limit=1")).totals.alerts >= total, 30000);
    const fresh = await browser.newPage();
    const t0 = Date.now();
    await fresh.goto(base + "/ui/#/alerts");
    await fresh.locator("#summary", { hasText: /^\d+ alert/ }).waitFor({ timeout: 30000 });
    figures["firstRender" + total + "Ms"] = Date.now() - t0;
    assert.ok(await fresh.locator("section.group:not(.pending)").count() <= 50);
    if (total === 10000) await photograph(fresh, "alerts-10000", false);
    await fresh.close();
  }

  assert.deepEqual(violations, []);
  console.log("console test passed: " + JSON.stringify(figures) + "; screenshots in " + outDir);
} catch (e) {
  console.error("console messages and errors:", JSON.stringify(messages.concat(violations), null, 1));
  console.error("vigil log (tail):", log.slice(-3000));
  console.error("page:", page.url(), (await page.evaluate(() => document.body.innerText)).slice(0, 3000));
  throw e;
} finally {
  await browser.close();
  for (const a of agents) a.kill("SIGTERM");
  target.close();
}
