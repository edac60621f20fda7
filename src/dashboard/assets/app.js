// The Warren dashboard: a page per tab (hash routes), the node's samples
// pushed by the server (Server-Sent Events on /api/events), everything else
// read from the JSON API (the control protocol's answers). No framework, no
// network beyond this node.
"use strict";

const KEPT = 600; // points the charts keep (the server's ring: ten minutes)
const COLORS = ["#4b5ddb", "#e0663a", "#2f9e6e", "#c23b8c", "#c9a227", "#2a9fc9", "#7f56d9", "#6b7385"];

const state = {
  points: [],
  page: "home",
  processes: { rows: [], total: 0, sortKey: null, sortDir: -1, loading: false },
  trace: null,
};

// ---- small helpers --------------------------------------------------------

function $(selector) { return document.querySelector(selector); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok || (body && body.response === "error")) {
    const message = body && body.message ? body.message : `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return body;
}

function bytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
}

function count(n) {
  if (n === null || n === undefined) return "";
  if (n >= 1e9) return (n / 1e9).toFixed(1) + "G";
  if (n >= 1e6) return (n / 1e6).toFixed(1) + "M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + "k";
  if (n > 0 && n < 10 && !Number.isInteger(n)) return n.toFixed(2).replace(/\.?0+$/, "");
  return Math.round(n).toString();
}

function percent(x) { return (x * 100).toFixed(0) + "%"; }

function pidLink(pid) {
  return pid ? el("a", { href: "#/process/" + encodeURIComponent(pid) }, pid) : "";
}

// ---- routing --------------------------------------------------------------

function route() {
  const hash = location.hash.replace(/^#\/?/, "") || "home";
  const [page, ...rest] = hash.split("/");
  const arg = decodeURIComponent(rest.join("/"));
  state.page = page;
  for (const section of document.querySelectorAll("section.page")) section.hidden = section.id !== "page-" + page;
  for (const link of document.querySelectorAll("header nav a[data-page]")) {
    link.classList.toggle("active", link.dataset.page === page || (page === "process" && link.dataset.page === "processes"));
  }
  if (page !== "process") stopTrace();
  if (page === "home") drawAll();
  else if (page === "processes") loadProcesses();
  else if (page === "process") showProcess(arg);
  else if (page === "trees") loadTrees();
  else if (page === "tables") loadTables(arg);
  else if (page === "names") loadNames();
}

// ---- samples and charts ---------------------------------------------------

function addPoint(point) {
  state.points.push(point);
  if (state.points.length > KEPT) state.points.shift();
}

function connectEvents() {
  const live = $("#live");
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => { live.textContent = "live"; live.classList.remove("off"); });
  source.addEventListener("error", () => { live.textContent = "offline"; live.classList.add("off"); });
  source.addEventListener("sample", (event) => {
    addPoint(JSON.parse(event.data));
    live.textContent = "live"; live.classList.remove("off");
    if (state.page === "home") drawAll();
    if (state.page === "processes") loadProcesses();
  });
}

function summary() {
  const point = state.points[state.points.length - 1];
  const box = $("#summary");
  box.replaceChildren();
  if (!point) { box.append(el("span", { class: "muted" }, "Waiting for the first sample…")); return; }
  const cards = [
    ["Uptime", point.uptime_secs.toFixed(0) + " s"],
    ["Processes", count(point.processes)],
    ["Memory (host)", bytes(point.memory.host)],
    ["Linear memories", bytes(point.memory.linear_memories)],
    ["Reductions / s", count(point.reductions_per_sec)],
    ["Messages / s", count(point.messages_per_sec)],
    ["Schedulers busy", percent(point.total_utilization)],
    ["Restarts", count(point.supervisor_restarts)],
    ["Tables", point.tables],
    ["Timers", point.timers],
  ];
  for (const [label, value] of cards) {
    box.append(el("div", { class: "card" }, el("div", { class: "label" }, label), el("div", { class: "value" }, value)));
  }
}

function drawAll() {
  summary();
  const points = state.points;
  const series = (label, pick, color) => ({ label, color, values: points.map(pick) });
  draw("#chart-processes", [series("processes", (p) => p.processes, COLORS[0])], count);
  const kinds = ["linear_memories", "stacks", "mailboxes", "tables", "host"];
  draw("#chart-memory", kinds.map((kind, i) => series(kind, (p) => p.memory[kind], COLORS[i])), bytes);
  draw("#chart-reductions", [series("reductions/s", (p) => p.reductions_per_sec, COLORS[2])], count);
  draw("#chart-messages", [series("messages/s", (p) => p.messages_per_sec, COLORS[3])], count);
  const schedulers = points.length ? points[points.length - 1].scheduler_utilization.length : 0;
  const utilization = [series("total", (p) => p.total_utilization, "#20263a")];
  for (let i = 0; i < schedulers; i++) {
    utilization.push(series("scheduler " + i, (p) => p.scheduler_utilization[i] || 0, COLORS[i % COLORS.length]));
  }
  draw("#chart-utilization", utilization, percent, 1);
  const queues = [series("global", (p) => p.global_queue, "#20263a")];
  const threads = points.length ? points[points.length - 1].run_queues.length : 0;
  for (let i = 0; i < threads; i++) {
    queues.push(series("scheduler " + i, (p) => p.run_queues[i] || 0, COLORS[i % COLORS.length]));
  }
  draw("#chart-queues", queues, count);
}

// A line chart of `series` (each {label, color, values}), newest at the
// right, over the last minute, growing to the last ten as points come; y
// from 0 to `fixedMax` or a rounded max. The legend wraps over the plot.
function draw(selector, series, format, fixedMax) {
  const canvas = $(selector);
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (!width || !height) return;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  g.font = "11px system-ui, sans-serif";
  const left = 64, right = 8, bottom = 18;
  // The legend's entries, laid out in lines first: the plot starts below.
  const entries = [];
  let x = left, line = 0;
  for (const s of series) {
    const n = s.values.length;
    const text = s.label + (n ? " " + format(s.values[n - 1]) : "");
    const w = g.measureText(text).width + 26;
    if (x + w > width - right && x > left) { x = left; line++; }
    entries.push({ s, text, x, y: 8 + line * 14 });
    x += w;
  }
  const top = 20 + line * 14;
  const plotW = width - left - right, plotH = height - top - bottom;
  const span = Math.min(KEPT, Math.max(60, ...series.map((s) => s.values.length)));
  let max = fixedMax || 0;
  if (!fixedMax) for (const s of series) for (const v of s.values) if (v > max) max = v;
  max = niceMax(max);
  g.strokeStyle = "#e3e6ee"; g.fillStyle = "#6b7385"; g.lineWidth = 1;
  g.textAlign = "right"; g.textBaseline = "middle";
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    g.beginPath(); g.moveTo(left, y); g.lineTo(left + plotW, y); g.stroke();
    g.fillText(format((max * i) / 4), left - 6, y);
  }
  g.textAlign = "left"; g.textBaseline = "alphabetic";
  g.fillText(span >= 120 ? "-" + Math.round(span / 60) + " min" : "-" + span + " s", left, height - 4);
  g.textAlign = "right"; g.fillText("now", left + plotW, height - 4);
  const step = plotW / (span - 1);
  for (const { s, text, x: lx, y: ly } of entries) {
    const values = s.values.slice(-span);
    const n = values.length;
    g.strokeStyle = s.color; g.lineWidth = 1.5;
    g.beginPath();
    values.forEach((v, i) => {
      const px = left + plotW - (n - 1 - i) * step;
      const py = top + plotH - (plotH * Math.min(v, max)) / max;
      if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
    });
    g.stroke();
    g.fillStyle = s.color; g.fillRect(lx, ly - 2, 10, 3);
    g.fillStyle = "#1d2330"; g.textAlign = "left"; g.textBaseline = "middle";
    g.fillText(text, lx + 14, ly);
  }
}

function niceMax(max) {
  if (max <= 0) return 1;
  const magnitude = Math.pow(10, Math.floor(Math.log10(max)));
  for (const m of [1, 2, 2.5, 5, 10]) if (max <= m * magnitude) return m * magnitude;
  return 10 * magnitude;
}

// ---- processes ------------------------------------------------------------

const SORTS = {
  pid: (r) => pidNumber(r.pid),
  name: (r) => r.name || "",
  kind: (r) => r.kind,
  module: (r) => r.module || "",
  entry: (r) => r.entry || "",
  status: (r) => r.status,
  memory: (r) => r.linear_memory + r.host_memory,
  reductions: (r) => r.reductions,
  mailbox: (r) => (r.mailbox === null ? -1 : r.mailbox),
  current_call: (r) => r.current_call || "",
};

function pidNumber(pid) {
  const parts = (pid.match(/\d+/g) || []).map(Number);
  return parts.reduce((acc, n) => acc * 1e6 + n, 0);
}

async function loadProcesses() {
  const table = state.processes;
  if (table.loading) return;
  table.loading = true;
  const sort = $("#server-sort").value;
  const limit = $("#limit").value;
  try {
    const answer = await api(`/api/ps?limit=${limit}` + (sort ? `&sort=${sort}` : ""));
    table.rows = answer.processes;
    table.total = answer.total;
    renderProcesses();
  } catch (error) {
    $("#process-count").textContent = "cannot list processes: " + error.message;
  } finally {
    table.loading = false;
  }
}

function renderProcesses() {
  const table = state.processes;
  const filter = $("#filter").value.trim().toLowerCase();
  let rows = table.rows;
  if (filter) {
    rows = rows.filter((r) =>
      [r.pid, r.name, r.kind, r.module, r.entry, r.status, r.current_call].some((v) => v && v.toLowerCase().includes(filter)));
  }
  if (table.sortKey) {
    const key = SORTS[table.sortKey];
    rows = rows.slice().sort((a, b) => {
      const x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * table.sortDir;
    });
  }
  for (const th of document.querySelectorAll("#processes th")) {
    th.classList.toggle("sorted-asc", th.dataset.key === table.sortKey && table.sortDir > 0);
    th.classList.toggle("sorted-desc", th.dataset.key === table.sortKey && table.sortDir < 0);
  }
  const body = $("#processes tbody");
  body.replaceChildren(...rows.map((r) =>
    el("tr", { "data-pid": r.pid, "data-name": r.name, onclick: () => { location.hash = "#/process/" + encodeURIComponent(r.pid); } },
      el("td", {}, r.pid), el("td", {}, r.name || ""), el("td", {}, r.kind), el("td", {}, r.module || ""),
      el("td", {}, r.entry || ""), el("td", {}, r.status), el("td", { class: "num" }, bytes(r.linear_memory + r.host_memory)),
      el("td", { class: "num" }, count(r.reductions)), el("td", { class: "num" }, r.mailbox === null ? "?" : r.mailbox),
      el("td", {}, r.current_call || ""))));
  $("#process-count").textContent = `${rows.length} shown of ${table.total} processes`;
}

// ---- one process ----------------------------------------------------------

async function showProcess(target) {
  $("#process-title").textContent = target;
  $("#process-message").textContent = "";
  $("#kill-confirm").hidden = true;
  $("#kill").hidden = false;
  $("#kill").dataset.target = target;
  $("#trace tbody").replaceChildren();
  $("#trace-status").textContent = "";
  const info = $("#process-info"), relations = $("#process-relations"), messages = $("#process-messages");
  for (const t of [info, relations, messages]) t.replaceChildren();
  let details;
  try {
    details = await api("/api/info?target=" + encodeURIComponent(target) + "&messages=20");
  } catch (error) {
    $("#process-message").textContent = error.message;
    $("#process-state").textContent = "";
    return;
  }
  const kv = (table, key, value) => table.append(el("tr", {}, el("th", {}, key), el("td", {}, value)));
  $("#process-title").textContent = details.pid + (details.name ? " (" + details.name + ")" : "");
  kv(info, "Name", details.name || "");
  kv(info, "Kind", details.kind);
  kv(info, "Module", details.module || "");
  kv(info, "Entry", details.entry || "");
  kv(info, "Status", details.status);
  kv(info, "Current call", details.current_call || "");
  kv(info, "Linear memory", bytes(details.linear_memory));
  kv(info, "Host memory", bytes(details.host_memory));
  kv(info, "Stack", bytes(details.stack));
  kv(info, "Reductions", details.reductions);
  kv(info, "Mailbox", details.mailbox === null ? "?" : `${details.mailbox} (${bytes(details.mailbox_bytes)})`);
  kv(info, "Trap exit", String(details.trap_exit));
  kv(info, "Spawned", new Date(details.spawned_at_ms).toISOString());
  kv(info, "Capabilities", details.capabilities.join(", "));
  if (details.limits) {
    kv(info, "Limits", `memory ${bytes(details.limits.max_memory)}, fuel ${details.limits.max_fuel ?? "none"}, mailbox ${details.limits.max_mailbox ?? "none"}`);
  }
  kv(relations, "Parent", pidLink(details.parent));
  kv(relations, "Supervisor", pidLink(details.supervisor));
  kv(relations, "Links", details.links.map((p) => [pidLink(p), " "]));
  kv(relations, "Monitors", details.monitors.map((m) => [pidLink(m.pid), ` (#${m.reference}) `]));
  kv(relations, "Monitored by", details.monitored_by.map((m) => [pidLink(m.pid), ` (#${m.reference}) `]));
  messages.append(el("tr", {}, el("th", {}, "From"), el("th", {}, "Tag"), el("th", {}, "Size"), el("th", {}, "First bytes (hex)")));
  for (const m of details.messages) {
    messages.append(el("tr", {}, el("td", {}, pidLink(m.sender)), el("td", {}, m.tag), el("td", {}, m.size), el("td", {}, m.head_hex)));
  }
  $("#process-state").textContent = "asking…";
  api("/api/state?target=" + encodeURIComponent(details.pid))
    .then((answer) => { $("#process-state").textContent = answer.state; })
    .catch((error) => { $("#process-state").textContent = error.message; });
}

function askKill() {
  $("#kill").hidden = true;
  $("#kill-confirm").hidden = false;
}

async function kill() {
  const target = $("#kill").dataset.target;
  const kind = $("#kill-reason").value;
  $("#kill-confirm").hidden = true;
  $("#kill").hidden = false;
  try {
    const answer = await api("/api/kill", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ target, reason: kind === "shutdown" ? { kind, detail: "" } : { kind } }),
    });
    $("#process-message").textContent = `exit signal ${kind} sent to ${answer.pid}`;
    stopTrace();
    setTimeout(() => { if (state.page === "process") location.hash = "#/processes"; }, 800);
  } catch (error) {
    $("#process-message").textContent = "kill failed: " + error.message;
  }
}

function toggleTrace() {
  if (state.trace) { stopTrace(); return; }
  const target = $("#kill").dataset.target;
  const body = $("#trace tbody");
  body.replaceChildren();
  const source = new EventSource("/api/trace?target=" + encodeURIComponent(target) + "&count=1000&duration_ms=600000");
  state.trace = source;
  $("#trace-toggle").textContent = "Stop trace";
  $("#trace-status").textContent = "tracing…";
  source.addEventListener("trace", (event) => {
    const t = JSON.parse(event.data);
    body.prepend(el("tr", {}, el("td", {}, t.at_micros), el("td", {}, t.event), el("td", {}, pidLink(t.other)),
      el("td", {}, t.tag ?? ""), el("td", {}, t.size ?? ""), el("td", {}, t.reason ?? t.head_hex ?? "")));
    while (body.children.length > 500) body.lastChild.remove();
  });
  source.addEventListener("end", (event) => {
    const end = JSON.parse(event.data);
    $("#trace-status").textContent = `ended: ${end.why} (${end.events} events, ${end.dropped} dropped)`;
    stopTrace(true);
  });
  source.addEventListener("error", () => {
    if (state.trace === source) { $("#trace-status").textContent = "trace refused or ended"; stopTrace(true); }
  });
}

function stopTrace(keepStatus) {
  if (!state.trace) return;
  state.trace.close();
  state.trace = null;
  $("#trace-toggle").textContent = "Start trace";
  if (!keepStatus) $("#trace-status").textContent = "stopped";
}

// ---- trees, tables, names -------------------------------------------------

async function loadTrees() {
  const box = $("#trees");
  try {
    const answer = await api("/api/tree");
    box.replaceChildren();
    if (!answer.trees.length) box.append(el("p", { class: "muted" }, "No supervisors run the host's supervision on this node."));
    for (const tree of answer.trees) box.append(el("div", { class: "tree-root" }, treeNode(tree)));
  } catch (error) {
    box.replaceChildren(el("p", {}, "cannot read the trees: " + error.message));
  }
}

function treeNode(node) {
  return el("div", {},
    el("strong", {}, "supervisor "), pidLink(node.pid), node.name ? el("span", { class: "badge" }, node.name) : null,
    el("ul", { class: "tree" }, node.children.map((child) => el("li", {},
      el("span", {}, child.id + " "), child.pid ? pidLink(child.pid) : el("span", { class: "muted" }, "not running"),
      child.name ? el("span", { class: "badge" }, child.name) : null,
      child.restarts ? el("span", { class: "badge warn" }, `${child.restarts} restarts`) : null,
      child.subtree ? treeNode(child.subtree) : null))));
}

async function loadTables(target) {
  const table = $("#tables");
  const detail = $("#table-detail");
  try {
    const answer = await api("/api/tables");
    table.replaceChildren(el("tr", {}, ["Id", "Name", "Kind", "Access", "Owner", "Heir", "Size", "Keys", "Memory"].map((h) => el("th", {}, h))));
    for (const t of answer.tables) {
      table.append(el("tr", { onclick: () => { location.hash = "#/tables/" + t.id; } },
        el("td", {}, t.id), el("td", {}, t.name || ""), el("td", {}, t.kind), el("td", {}, t.access),
        el("td", {}, pidLink(t.owner)), el("td", {}, pidLink(t.heir)), el("td", { class: "num" }, t.size),
        el("td", { class: "num" }, t.keys), el("td", { class: "num" }, bytes(t.memory))));
    }
    if (!answer.tables.length) table.append(el("tr", {}, el("td", { colspan: 9, class: "muted" }, "No shared tables.")));
  } catch (error) {
    table.replaceChildren(el("tr", {}, el("td", {}, "cannot list tables: " + error.message)));
  }
  detail.replaceChildren();
  if (!target) return;
  try {
    const answer = await api("/api/table?target=" + encodeURIComponent(target) + "&entries=50");
    detail.append(el("h3", {}, `Table ${answer.table.id}` + (answer.table.name ? ` (${answer.table.name})` : "") + ": first entries"));
    const entries = el("table", { class: "grid" }, el("tr", {}, el("th", {}, "Key (hex)"), el("th", {}, "Values (hex)")));
    for (const e of answer.entries) entries.append(el("tr", {}, el("td", {}, e.key_hex), el("td", {}, e.values_hex.join(", "))));
    detail.append(entries);
  } catch (error) {
    detail.append(el("p", {}, "cannot read the table: " + error.message));
  }
}

async function loadNames() {
  const table = $("#names");
  try {
    const answer = await api("/api/registered");
    table.replaceChildren(el("tr", {}, el("th", {}, "Name"), el("th", {}, "Pid")));
    for (const row of answer.names.sort((a, b) => a.name.localeCompare(b.name))) {
      table.append(el("tr", { "data-name": row.name }, el("td", {}, row.name), el("td", {}, pidLink(row.pid))));
    }
  } catch (error) {
    table.replaceChildren(el("tr", {}, el("td", {}, "cannot list names: " + error.message)));
  }
}

// ---- start ----------------------------------------------------------------

async function start() {
  // The token, if the URL had one, is in a cookie now: keep it out of the
  // address bar and the history.
  if (location.search.includes("token=")) history.replaceState(null, "", location.pathname + location.hash);
  for (const th of document.querySelectorAll("#processes th")) {
    th.addEventListener("click", () => {
      const table = state.processes;
      if (table.sortKey === th.dataset.key) table.sortDir = -table.sortDir;
      else { table.sortKey = th.dataset.key; table.sortDir = ["pid", "name", "kind", "module", "entry", "status", "current_call"].includes(th.dataset.key) ? 1 : -1; }
      renderProcesses();
    });
  }
  $("#filter").addEventListener("input", renderProcesses);
  $("#server-sort").addEventListener("change", loadProcesses);
  $("#limit").addEventListener("change", loadProcesses);
  $("#kill").addEventListener("click", askKill);
  $("#kill-confirm").addEventListener("click", kill);
  $("#trace-toggle").addEventListener("click", () => toggleTrace());
  window.addEventListener("hashchange", route);
  window.addEventListener("resize", () => { if (state.page === "home") drawAll(); });
  connectEvents();
  route();
  api("/api/hello")
    .then((hello) => {
      $("#node-name").textContent = `${hello.name} · ${hello.file} · warren ${hello.warren_version}`;
      document.title = `${hello.name} · Warren dashboard`;
    })
    .catch((error) => { $("#node-name").textContent = "cannot reach the node: " + error.message; });
  try {
    const history = await api("/api/history");
    // Points pushed meanwhile are newer than the history's.
    const pushed = state.points;
    state.points = [];
    for (const point of history.points) addPoint(point);
    for (const point of pushed) if (point.at_ms > (history.points.at(-1)?.at_ms ?? 0)) addPoint(point);
  } catch (_) { /* the stream fills the charts */ }
  if (state.page === "home") drawAll();
}

start();
