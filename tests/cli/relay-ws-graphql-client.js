// A GraphQL client of relay-ws on the npm `graphql-ws` package (the
// graphql-transport-ws protocol; scripts/setup installs it). Usage:
//   node relay-ws-graphql-client.js URL SPEC_JSON
// SPEC_JSON: {"init": CONNECTION_PARAMS (optional),
//             "subs": [{"name": N, "query": Q, "variables": V, "count": C}, ...],
//             "metric": NAME (optional)}
// All subscriptions share the client's one connection. Prints a line per
// event: "N next PAYLOAD_JSON", "N error ERRORS_JSON", "N complete". After
// C `next` payloads a subscription is completed by the client (count 0:
// wait for its error). Once all are over, and when "metric" is given, it
// polls URL's /metrics until NAME is 0 and prints "metric NAME 0" and the
// GraphQL client gauge, while the connection is still open; then it
// disposes of the client. Prints "close CODE REASON" and exits 5 when the
// server closes first; exit 3 on a 20 s stall.
//
// With {"raw": [MESSAGE, ...]} instead, it speaks the protocol itself on
// node's `ws` (for what graphql-ws never sends): sends each MESSAGE (a
// JSON value, or {"binary": TEXT}) after the server's reply to the one
// before ("then": N waits for N replies), prints every server message and
// then "close CODE REASON", and exits 0 once the server closes.
"use strict";
const http = require("http");
const WebSocket = require("ws");
const {createClient} = require("graphql-ws");

const [url, specText] = process.argv.slice(2);
const spec = JSON.parse(specText);
const timer = setTimeout(() => { console.error("graphql client: timed out"); process.exit(3); },
                         20000 * Number(process.env.SLUICE_TEST_SCALE || 1));
if (spec.raw) {
  raw(spec.raw);
} else {
  graphqlWs();
}

function raw(messages) {
  const ws = new WebSocket(url, "graphql-transport-ws");
  let i = 0;
  let waiting = 0;
  const sendNext = () => {
    while (i < messages.length && waiting === 0) {
      const m = messages[i++];
      if (m.then !== undefined) {
        waiting = m.then;
      } else if (m.binary !== undefined) {
        ws.send(Buffer.from(m.binary));
      } else {
        ws.send(JSON.stringify(m));
      }
    }
  };
  ws.on("open", () => { console.log("protocol " + ws.protocol); sendNext(); });
  ws.on("message", (data) => {
    console.log(data.toString());
    if (waiting > 0 && --waiting === 0) sendNext();
  });
  ws.on("close", (code, reason) => {
    console.log("close " + code + " " + reason);
    clearTimeout(timer);
  });
  ws.on("error", (e) => { console.error("graphql client: " + e.message); process.exit(4); });
}

function graphqlWs() {
  let open = spec.subs.length;
  let finished = false;

  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: spec.init,
    lazy: false,
    retryAttempts: 0,
    on: {
      closed: (e) => {
        if (finished) return;
        console.log("close " + e.code + " " + e.reason);
        process.exit(5);
      },
    },
    onNonLazyError: () => {},  // the close is reported above
  });

  // GET URL/metrics and the value of series `name` (undefined when absent).
  function metrics(name, done) {
    const base = url.replace(/^ws/, "http");
    http.get(new URL("/metrics", base), (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => {
        const values = {};
        for (const line of body.split("\n")) {
          const [k, v] = line.split(" ");
          if (k && !k.startsWith("#")) values[k] = v;
        }
        done(values);
      });
    }).on("error", (e) => { console.error("graphql client: " + e.message); process.exit(4); });
  }

  function finish() {
    const end = () => {
      finished = true;
      clearTimeout(timer);
      client.dispose();
    };
    if (!spec.metric) return end();
    const poll = () => metrics(spec.metric, (values) => {
      if (values[spec.metric] !== "0") return setTimeout(poll, 50);
      console.log("metric " + spec.metric + " 0");
      const gauge = 'relay_ws_clients{protocol="graphql"}';
      console.log("metric " + gauge + " " + values[gauge]);
      end();
    });
    poll();
  }

  function over() {
    if (--open === 0) finish();
  }

  for (const sub of spec.subs) {
    let left = sub.count;
    let unsubscribe = null;
    let ended = false;
    unsubscribe = client.subscribe({query: sub.query, variables: sub.variables}, {
      next: (payload) => {
        if (ended) return;
        console.log(sub.name + " next " + JSON.stringify(payload));
        if (--left === 0) {
          ended = true;
          console.log(sub.name + " complete");
          unsubscribe();  // sends `complete`
          over();
        }
      },
      error: (errors) => {
        if (ended) return;
        ended = true;
        if (Array.isArray(errors)) {
          console.log(sub.name + " error " + JSON.stringify(errors));
          over();
        }
        // A CloseEvent: reported by on.closed.
      },
      complete: () => {
        if (ended) return;
        ended = true;
        console.log(sub.name + " complete (by the server)");
        over();
      },
    });
  }
}
