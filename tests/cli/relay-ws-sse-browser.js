// Reads relay-ws's Server-Sent Events with the EventSource of headless
// Chromium, driven by playwright-core (both installed by scripts/setup; the
// browser is Debian's chromium).
//
// node relay-ws-sse-browser.js ORIGIN SSE_PATH COUNT
//
// Opens ORIGIN/healthz (so that the stream is same-origin), then in the page
// new EventSource(SSE_PATH) until COUNT messages came, and prints one line
// per message: "message LAST_EVENT_ID DATA". An error event before that
// prints "error READY_STATE" and exits 1.
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

async function main() {
  const [origin, ssePath, count] = process.argv.slice(2);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "relay-ws-sse-chromium-"));
  const timeout = Number(process.env.BROWSER_TIMEOUT_MS || 30000);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(timeout);
    await page.goto(origin + "/healthz");
    const got = await page.evaluate(
      ([p, n, ms]) =>
        new Promise((resolve) => {
          const out = [];
          const es = new EventSource(p);
          const timer = setTimeout(() => {
            es.close();
            resolve({ out, error: "timeout" });
          }, ms);
          es.onmessage = (e) => {
            out.push("message " + e.lastEventId + " " + e.data);
            if (out.length >= n) {
              clearTimeout(timer);
              es.close();
              resolve({ out });
            }
          };
          es.onerror = () => {
            if (out.length === 0) {
              clearTimeout(timer);
              es.close();
              resolve({ out, error: "error " + es.readyState });
            }
          };
        }),
      [ssePath, Number(count), timeout]
    );
    for (const line of got.out) console.log(line);
    if (got.error) {
      console.log(got.error);
      process.exitCode = 1;
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
