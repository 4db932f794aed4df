// A relay-ws client on node's `ws` package (the relay tests' second
// third-party client). Usage:
//   node relay-ws-node-client.js URL SUBSCRIBE_JSON N
// Sends SUBSCRIBE_JSON, prints every frame until N data frames came, then
// unsubscribes, prints what was already on its way and the
// acknowledgement, and closes. Exit 3 on a 20 s
// stall, 5 when the server closes first.
"use strict";
const WebSocket = require("ws");
const [url, subscribe, count] = process.argv.slice(2);
let left = Number(count);
let done = false;
const ws = new WebSocket(url);
const timer = setTimeout(() => { console.error("node client: timed out"); process.exit(3); },
                         20000 * Number(process.env.SLUICE_TEST_SCALE || 1));
ws.on("open", () => ws.send(subscribe));
ws.on("message", (data) => {
  const text = data.toString();
  console.log(text);
  const frame = JSON.parse(text);
  if (frame.topic !== undefined && --left === 0) {
    const topics = JSON.parse(subscribe).topics;
    ws.send(JSON.stringify({action: "unsubscribe", topics: topics}));
  } else if (frame.type === "unsubscribed") {
    done = true;
    clearTimeout(timer);
    ws.close(1000);
  }
});
ws.on("close", (code, reason) => {
  if (!done) {
    console.log("close " + code + " " + reason);
    process.exit(5);
  }
});
ws.on("error", (e) => { console.error("node client: " + e.message); process.exit(4); });
