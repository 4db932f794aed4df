// relay-ws over plain HTTP: /metrics in Prometheus text and the live page
// at / (one self-contained HTML file: it subscribes over the same port,
// shows messages as they arrive and charts the rate per topic on a canvas).
#include <string>
#include <utility>
#include <vector>

#include "relay/ws/relay_internal.h"

namespace sluice::relay {

namespace {

void metric(std::string& out, const char* name, const char* type, const char* help,
            uint64_t value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

// NAME{protocol="ws"}, NAME{protocol="graphql"} (graphql-transport-ws) and
// NAME{protocol="sse"} (Server-Sent Events), from the count over all
// protocols and those of GraphQL and SSE clients.
void by_protocol(std::string& out, const char* name, const char* type, const char* help,
                 uint64_t all, uint64_t graphql, uint64_t sse) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name)
      .append("{protocol=\"ws\"} ")
      .append(std::to_string(all - graphql - sse))
      .append("\n");
  out.append(name).append("{protocol=\"graphql\"} ").append(std::to_string(graphql)).append("\n");
  out.append(name).append("{protocol=\"sse\"} ").append(std::to_string(sse)).append("\n");
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"') out.push_back('\\');
    if (ch == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(ch);
  }
  return out;
}

}  // namespace

std::string render_metrics(const Metrics& m,
                           const std::vector<std::pair<std::string, size_t>>& subscriptions) {
  std::string out;
  by_protocol(out, "relay_ws_clients", "gauge", "clients connected now, by protocol", m.clients,
              m.graphql_clients, m.sse_clients);
  by_protocol(out, "relay_ws_connections_total", "counter", "connections accepted, by protocol",
              m.connections_total, m.graphql_connections_total, m.sse_connections_total);
  metric(out, "relay_ws_connections_refused_total", "counter",
         "WebSocket upgrades refused with 503 (--max-connections)", m.connections_refused);
  out.append(
      "# HELP relay_ws_subscriptions subscriptions per topic\n"
      "# TYPE relay_ws_subscriptions gauge\n");
  for (auto& [topic, n] : subscriptions) {
    out.append("relay_ws_subscriptions{topic=\"")
        .append(label(topic))
        .append("\"} ")
        .append(std::to_string(n))
        .append("\n");
  }
  metric(out, "relay_ws_messages_in_total", "counter", "messages read from the sources",
         m.messages_in);
  metric(out, "relay_ws_frames_out_total", "counter", "frames sent to clients", m.frames_out);
  metric(out, "relay_ws_bytes_out_total", "counter", "payload bytes of the frames sent",
         m.bytes_out);
  metric(out, "relay_ws_dropped_total", "counter",
         "messages dropped for slow clients (--slow-client drop-oldest, or off a stdin ring)",
         m.dropped);
  metric(out, "relay_ws_catch_ups_total", "counter",
         "times a slow subscription went to read the backend log", m.catch_ups);
  metric(out, "relay_ws_slow_closes_total", "counter",
         "clients closed for being slow (--slow-client close)", m.slow_closes);
  metric(out, "relay_ws_auth_failures_total", "counter",
         "connections refused for a token, an origin or a topic", m.auth_failures);
  return out;
}

// The page, its style and its script are three resources: the Content
// Security Policy lws sends (script-src 'self', style-src 'self') blocks
// inline scripts and styles.
std::string_view live_page_html() {
  static const char* const kPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>relay-ws</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/live.css">
</head><body>
<h1>relay-ws</h1>
<form id="f">topics <input id="topics" value="stdin" size="30">
from <input id="from" value="end" size="8">
where <input id="where" size="30" placeholder="after.price > 100">
<button>subscribe</button> <button type="button" id="clear">clear</button>
<span id="status">connecting</span></form>
<canvas id="chart" width="900" height="160"></canvas>
<div id="log"></div>
<script src="/live.js"></script>
</body></html>
)html";
  return kPage;
}

std::string_view live_page_css() {
  static const char* const kCss =
      R"css(body{font:14px system-ui,sans-serif;margin:1em;background:#fafafa;color:#222}
input,button{font:inherit;padding:.2em .5em}
#log{font:12px ui-monospace,monospace;height:50vh;overflow:auto;background:#fff;
border:1px solid #ccc;padding:.5em;white-space:pre}
canvas{border:1px solid #ccc;background:#fff;display:block;margin:.5em 0}
.err{color:#b00}
)css";
  return kCss;
}

std::string_view live_page_js() {
  static const char* const kJs = R"js("use strict";
const log = document.getElementById("log"), status = document.getElementById("status");
const chart = document.getElementById("chart"), g = chart.getContext("2d");
const colors = ["#1f77b4","#d62728","#2ca02c","#ff7f0e","#9467bd","#8c564b"];
const counts = {}, series = {};
let ws;
function connect() {
  const token = new URLSearchParams(location.search).get("token");
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/" +
      (token ? "?token=" + encodeURIComponent(token) : "");
  ws = new WebSocket(url);
  ws.onopen = () => { status.textContent = "connected"; subscribe(); };
  ws.onclose = (e) => { status.textContent = "closed " + e.code + " " + e.reason;
    setTimeout(connect, 2000); };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.topic !== undefined) counts[m.topic] = (counts[m.topic] || 0) + 1;
    const line = document.createElement("div");
    if (m.type === "error") line.className = "err";
    line.textContent = e.data;
    log.prepend(line);
    while (log.childNodes.length > 500) log.removeChild(log.lastChild);
  };
}
function subscribe() {
  const topics = document.getElementById("topics").value.split(",").map(s => s.trim())
      .filter(s => s);
  const req = {action: "subscribe", topics: topics};
  const from = document.getElementById("from").value.trim();
  if (from) req.from = /^\d+$/.test(from) ? Number(from) : from;
  const where = document.getElementById("where").value.trim();
  if (where) req.where = where;
  if (ws && ws.readyState === 1) ws.send(JSON.stringify(req));
}
document.getElementById("f").onsubmit = (e) => { e.preventDefault(); subscribe(); };
document.getElementById("clear").onclick = () => { log.textContent = ""; };
function draw() {
  for (const t of Object.keys(counts)) {
    (series[t] = series[t] || []).push(counts[t]); counts[t] = 0;
  }
  for (const t of Object.keys(series)) {
    if (!(t in counts)) series[t].push(0);
    if (series[t].length > 120) series[t].shift();
    counts[t] = counts[t] || 0;
  }
  const w = chart.width, h = chart.height;
  g.clearRect(0, 0, w, h);
  let max = 1;
  for (const s of Object.values(series)) for (const v of s) max = Math.max(max, v);
  g.fillStyle = "#666"; g.fillText(max + " msg/s", 4, 12);
  Object.keys(series).forEach((t, i) => {
    const s = series[t];
    g.strokeStyle = colors[i % colors.length]; g.beginPath();
    s.forEach((v, x) => {
      const px = w - (s.length - 1 - x) * (w / 120), py = h - 4 - (v / max) * (h - 20);
      x ? g.lineTo(px, py) : g.moveTo(px, py);
    });
    g.stroke();
    g.fillStyle = g.strokeStyle;
    g.fillText(t + " " + (s[s.length - 1] || 0) + "/s", 80 + i * 140, 12);
  });
}
setInterval(draw, 1000);
connect();
)js";
  return kJs;
}

}  // namespace sluice::relay
