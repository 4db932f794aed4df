// Headless Chromium for the browser tests: Debian's chromium driven by
// playwright-core (both installed by scripts/setup; NODE_PATH set by the
// test script). CHROMIUM names the browser binary, BROWSER_TIMEOUT_MS each
// step's limit (default 30 s).
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

// Runs fn(page, timeout) in a fresh profile with `options` added to the
// launch options, then closes the browser and removes the profile.
async function withChromiumPage(options, fn) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "relay-ws-chromium-"));
  const timeout = Number(process.env.BROWSER_TIMEOUT_MS || 30000);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout,
    ...options,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(timeout);
    return await fn(page, timeout);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// Runs the async main(); an error is printed on stderr, prefixed with
// `name`, and exits 1.
function run(name, main) {
  main().catch((e) => {
    console.error(name + ": " + (e && e.stack ? e.stack : e));
    process.exit(1);
  });
}

module.exports = { withChromiumPage, run };
