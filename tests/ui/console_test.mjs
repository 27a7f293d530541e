// The web console in headless Chromium against a real vigil: the alerts page renders the agent's
// alerts, shows an annotation holding markup as text, filters with a matcher (kept in the URL),
// raises no Content-Security-Policy violation, and is photographed in both themes.
//   node console_test.mjs VIGIL FIXTURE_PLUGIN_DIR OUT_DIR
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const [vigil, fixtures, outDir] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "vigil-ui-"));
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
`);
writeFileSync(join(dir, "vigil.toml"), `[agent]
interval = "200ms"
timeout = "150ms"
state_dir = "${dir}/state"
plugin_dirs = ["${fixtures}"]
[http]
listen = "127.0.0.1:0"
api_token = "t0ken"
[rules]
files = ["rules/*.yml"]
[[collectors.no_op]]
value = 3
[[notifiers.log]]
[alerting.route]
receiver = "default"
group_wait = "100ms"
[[alerting.receivers]]
name = "default"
notifiers = ["log"]
`);

const agent = spawn(vigil, ["run", "--config", join(dir, "vigil.toml")], { stdio: ["ignore", "ignore", "pipe"] });
let log = "";
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("vigil did not start:\n" + log)), 10000);
  agent.on("exit", (code) => reject(new Error("vigil exited with " + code + ":\n" + log)));
  agent.stderr.on("data", (d) => {
    log += d;
    const m = /"port":(\d+)/.exec(log);
    if (m) {
      clearTimeout(timer);
      resolve(Number(m[1]));
    }
  });
});
const base = `http://127.0.0.1:${port}`;
const messages = [];
const violations = [];
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  page.on("console", (m) => {
    messages.push(m.type() + ": " + m.text());
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on("pageerror", (e) => violations.push("page error: " + e.message));

  const r = await fetch(base + "/api/v2/alerts", {
    method: "POST",
    headers: { Authorization: "Bearer t0ken", "Content-Type": "application/json" },
    body: JSON.stringify([{ labels: { alertname: "Xss", severity: "warning" },
                            annotations: { summary: "<script>window.pwned = 1</script><b>bold</b>" } }]),
  });
  assert.equal(r.status, 200);

  const started = Date.now();
  const response = await page.goto(base + "/ui/");
  assert.match(response.headers()["content-security-policy"], /default-src 'self'; script-src 'self'/);
  await page.locator("article.alert", { hasText: "FixtureHigh" }).waitFor({ timeout: 10000 });
  await page.locator("article.alert", { hasText: "Xss" }).waitFor({ timeout: 10000 });
  const firstRender = Date.now() - started;

  // Markup in an annotation is text: shown literally, never parsed.
  const annotation = page.locator("p.annotation", { hasText: "<script>window.pwned = 1</script><b>bold</b>" });
  assert.equal(await annotation.count(), 1);
  assert.equal(await page.evaluate(() => document.querySelectorAll("main script, main b").length), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);

  // Severity as symbol and word, the state, and the count in the title.
  assert.equal(await page.locator("article.alert .chip", { hasText: "▲ critical" }).count(), 1);
  assert.match(await page.title(), /\(\d+\) vigil: alerts/);

  // A matcher filter narrows the page and goes into the URL.
  await page.keyboard.press("/");
  await page.keyboard.type('alertname="Xss"');
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelectorAll("article.alert").length === 1);
  assert.match(page.url(), /#\/alerts\?filter=alertname%3D%22Xss%22/);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll("article.alert").length === 1);
  assert.equal(await page.inputValue("#filter-input"), 'alertname="Xss"');

  await page.goto(base + "/ui/");
  await page.locator("article.alert").first().waitFor();
  mkdirSync(outDir, { recursive: true });
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(outDir, `alerts-${scheme}.png`), fullPage: true });
  }
  assert.deepEqual(violations, []);
  console.log(`console test passed: first render with 2 alerts in ${firstRender} ms; screenshots in ${outDir}`);
} catch (e) {
  console.error("console messages and errors:", JSON.stringify(messages.concat(violations), null, 1));
  console.error("groups:", (await (await fetch(base + "/api/v1/alerts/groups")).text()).slice(0, 600));
  throw e;
} finally {
  await browser.close();
  agent.kill("SIGTERM");
}
