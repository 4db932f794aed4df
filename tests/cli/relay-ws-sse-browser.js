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
const { withChromiumPage, run } = require("./chromium-lib");

async function main() {
  const [origin, ssePath, count] = process.argv.slice(2);
  await withChromiumPage({}, async (page, timeout) => {
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
  });
}

run("relay-ws-sse-browser", main);
