// Drives relay-ws's live page (/) in headless Chromium with playwright-core
// (both installed by scripts/setup; the browser is Debian's chromium).
//
// node relay-ws-browser.js URL TOPIC SCREENSHOT
//
// Opens URL, subscribes to TOPIC through the page's form (topics field and
// the subscribe button), waits until data frames of TOPIC are shown and the
// rate chart has had two ticks, saves a screenshot, and prints:
//   status TEXT        the page's status line after the subscribe
//   subscribed TOPIC   when the page showed {"type":"subscribed",...}
//   messages N         data lines of TOPIC shown in the log
//   first LINE         the oldest data line shown (the log is newest first)
//   chart N            canvas pixels in the topic's colour above the zero line
// Exit status: 0 done, 1 an error (printed on stderr).
"use strict";
const { withChromiumPage, run } = require("./chromium-lib");

async function main() {
  const [url, topic, shot] = process.argv.slice(2);
  await withChromiumPage({ viewport: { width: 1000, height: 700 } }, async (page) => {
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("status").textContent === "connected");
    await page.fill("#topics", topic);
    await page.fill("#from", "end");
    await page.click("#f button:not([type])");
    const ack = JSON.stringify({ type: "subscribed", topics: [topic] });
    await page.waitForFunction((a) =>
      [...document.querySelectorAll("#log div")].some((d) => d.textContent === a), ack);
    console.log("subscribed " + topic);
    const prefix = '{"topic":' + JSON.stringify(topic) + ",";
    await page.waitForFunction((p) =>
      [...document.querySelectorAll("#log div")].filter((d) => d.textContent.startsWith(p))
        .length >= 5, prefix);
    // The chart is redrawn once a second with the count of the second
    // before: two draws after messages came in show a rate above zero.
    await page.waitForTimeout(2500);
    const lines = await page.$$eval("#log div", (ds, p) =>
      ds.map((d) => d.textContent).filter((t) => t.startsWith(p)), prefix);
    // The first series is drawn in #1f77b4; count its pixels above the
    // zero line (h - 4) and the labels (the top 14 rows).
    const chart = await page.evaluate(() => {
      const c = document.getElementById("chart");
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let y = 14; y < c.height - 8; ++y) {
        for (let x = 0; x < c.width; ++x) {
          const i = (y * c.width + x) * 4;
          if (d[i + 3] > 128 && Math.abs(d[i] - 0x1f) < 40 && Math.abs(d[i + 1] - 0x77) < 40 &&
              Math.abs(d[i + 2] - 0xb4) < 40) ++n;
        }
      }
      return n;
    });
    console.log("status " + (await page.textContent("#status")));
    console.log("messages " + lines.length);
    console.log("first " + (lines.length ? lines[lines.length - 1] : ""));
    console.log("chart " + chart);
    await page.screenshot({ path: shot, fullPage: true });
  });
}

run("relay-ws-browser", main);
