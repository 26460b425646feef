// Outpost's built-in dashboard: reads /outpost/v1/dashboard every two seconds and draws it.
// Everything from the server goes into the page as text, never as markup.
"use strict";

const REFRESH_MS = 2000;
const HISTORY_MS = 10 * 60 * 1000;
const TOKEN_KEY = "outpost-dashboard-token";
const history = { times: [], series: new Map() };
let chart = null;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  if (className) {
    node.className = className;
  }
  return node;
}

function badge(state, field) {
  const node = el("span", state, "state " + state);
  if (field) {
    node.dataset.field = field;
  }
  return node;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) {
      td.appendChild(cell);
    } else {
      td.textContent = cell === undefined || cell === null ? "—" : String(cell);
    }
    tr.appendChild(td);
  }
  return tr;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function headers() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const h = { "Accept": "application/json" };
  if (token) {
    h["Authorization"] = "Bearer " + token;
  }
  return h;
}

async function refresh() {
  let response;
  try {
    response = await fetch("/outpost/v1/dashboard", { headers: headers(), cache: "no-store" });
  } catch (e) {
    document.getElementById("updated").textContent = "the gateway does not answer (" + e.message + "); trying again";
    return;
  }
  if (response.status === 401 || response.status === 403) {
    const problem = await response.json().catch(() => ({}));
    document.getElementById("login").hidden = false;
    document.getElementById("dashboard").hidden = true;
    document.getElementById("login-problem").textContent = sessionStorage.getItem(TOKEN_KEY) ? (problem.detail || "") : "";
    return;
  }
  if (!response.ok) {
    document.getElementById("updated").textContent = "the gateway answered " + response.status + "; trying again";
    return;
  }
  const data = await response.json();
  document.getElementById("login").hidden = true;
  document.getElementById("dashboard").hidden = false;
  draw(data);
}

function draw(data) {
  document.getElementById("region").textContent = "· region " + data.region;
  document.getElementById("updated").textContent = "as of " + new Date(data.now).toLocaleTimeString();
  document.title = "Outpost · " + data.region;

  const regions = [];
  for (const region of data.regions) {
    const monitors = document.createElement("span");
    const views = data.monitors[region.name] || {};
    for (const [monitor, view] of Object.entries(views)) {
      const item = el("span", null, "monitor");
      item.dataset.monitor = monitor;
      item.title = view.detail + " (" + view.observed_at + ")";
      item.append(monitor + " ", badge(view.health));
      monitors.appendChild(item);
    }
    const canaries = Object.entries(region.canary || {}).map(([by, c]) => by + ": " + c.p50_ms + " / " + c.p99_ms);
    const tr = row([
      region.name + (region.this ? " (this)" : ""),
      badge(region.state, "state"),
      monitors,
      canaries.join(", ") || null,
      (region.monolith_route ? "monolith link" : "via route") + (region.drained ? ", drained" : ""),
      region.config_hash ? region.config_hash.substring(0, 12) : null,
    ]);
    tr.dataset.region = region.name;
    regions.push(tr);
  }
  fill(document.querySelector("#regions tbody"), regions);
  document.getElementById("route").textContent = data.command_route.join(" → ") + " → the monolith";

  const status = data.status;
  fill(document.querySelector("#self tbody"), [
    row(["store", badge(status.store, "store")]),
    row(["watermark", status.watermark]),
    row(["staleness", status.staleness_ms === null || status.staleness_ms === undefined ? null : status.staleness_ms + " ms"]),
    row(["source commit", status.commit_time]),
  ]);
  fill(document.querySelector("#targets tbody"),
    Object.entries(status.command_targets || {}).map(([name, state]) => row([name, badge(state)])));
  const rebuilds = new Map();
  for (const r of data.rebuilds || []) {
    if (!rebuilds.has(r.view)) { // newest first: the latest request of each view
      rebuilds.set(r.view, r);
    }
  }
  fill(document.querySelector("#views tbody"),
    Object.entries(status.views || {}).map(([name, state]) => {
      const tr = row([name, badge(state), rebuild(rebuilds.get(name))]);
      tr.dataset.view = name;
      return tr;
    }));
  fill(document.querySelector("#capture tbody"), capture(data.capture));

  const stages = Object.entries(data.freshness || {}).map(([stage, f]) =>
    row([stage, f.p50_ms, f.p99_ms, f.total_p50_ms, f.total_p99_ms, f.count]));
  fill(document.querySelector("#freshness tbody"), stages.length ? stages : [row(["no stage measured in this process yet"])]);

  const alarms = (data.alarms || []).map(a => {
    const li = el("li");
    li.append(new Date(a.at).toLocaleTimeString() + " region " + a.region + " ", badge(a.from), " → ", badge(a.to));
    li.title = a.why.join("\n");
    return li;
  });
  document.getElementById("alarms").replaceChildren(...(alarms.length ? alarms : [el("li", "none since this gateway started")]));

  remember(data);
}

function rebuild(r) {
  if (!r) {
    return null;
  }
  const done = r.total ? " " + r.written.toLocaleString() + " / " + r.total.toLocaleString()
    + " (" + Math.floor(100 * r.written / Math.max(1, r.total)) + " %)" : "";
  const node = el("span", "rebuild " + r.state.toLowerCase() + done);
  node.dataset.field = "rebuild";
  node.title = r.detail || "";
  return node;
}

function capture(c) {
  if (!c) {
    return [row(["this region does not reach the source: see a region with a link to the monolith"])];
  }
  const state = badge(c.state, "capture");
  state.title = c.detail;
  return [
    row(["state", state]),
    row(["slot", c.slot]),
    row(["lag", c.lag_bytes === null || c.lag_bytes === undefined ? null : bytes(c.lag_bytes)]),
  ];
}

function bytes(n) {
  if (n < 1024) {
    return n + " B";
  }
  return n < 1024 * 1024 ? (n / 1024).toFixed(1) + " KiB" : (n / 1024 / 1024).toFixed(1) + " MiB";
}

// the gateway's own samples of staleness (every 2 s, the last 10 minutes) start the chart when the page opens
function seed(data) {
  if (history.times.length || !data.staleness_history) {
    return;
  }
  const name = "staleness " + data.region;
  const points = data.staleness_history.filter(s => s.at < Date.parse(data.now));
  history.times.push(...points.map(s => s.at / 1000));
  history.series.set(name, points.map(s => s.ms));
}

function remember(data) {
  seed(data);
  const now = Date.now() / 1000;
  history.times.push(now);
  const values = new Map();
  values.set("staleness " + data.region, data.status.staleness_ms);
  for (const region of data.regions) {
    for (const [by, c] of Object.entries(region.canary || {})) {
      values.set("canary " + by + " → " + region.name, c.freshness_ms);
    }
  }
  for (const name of values.keys()) {
    if (!history.series.has(name)) {
      history.series.set(name, history.times.slice(0, -1).map(() => null));
    }
  }
  for (const [name, points] of history.series) {
    const value = values.get(name);
    points.push(value === undefined ? null : value);
  }
  while (history.times.length && history.times[0] < now - HISTORY_MS / 1000) {
    history.times.shift();
    for (const points of history.series.values()) {
      points.shift();
    }
  }
  plot();
}

const COLOURS = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568", "#c53030", "#276749"];

function plot() {
  const names = [...history.series.keys()];
  const data = [history.times, ...names.map(n => history.series.get(n))];
  const container = document.getElementById("chart");
  if (!chart || chart.series.length !== names.length + 1) {
    if (chart) {
      chart.destroy();
    }
    chart = new uPlot({
      width: Math.max(480, container.clientWidth || 900),
      height: 260,
      series: [{}, ...names.map((n, i) => ({ label: n, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: false }))],
      axes: [{}, { label: "ms" }],
    }, data, container);
  } else {
    chart.setData(data);
  }
}

document.getElementById("login").addEventListener("submit", event => {
  event.preventDefault();
  // a token pasted as the demo prints it ("Bearer …", in quotes) works too
  const pasted = document.getElementById("token").value.trim().replace(/^'|'$/g, "").replace(/^Bearer\s+/i, "");
  sessionStorage.setItem(TOKEN_KEY, pasted);
  refresh();
});

refresh();
setInterval(refresh, REFRESH_MS);
