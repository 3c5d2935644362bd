import { createHash } from 'node:crypto';

/*
 * The operator's dashboard: one HTML page with its style and script inline, so it needs no
 * CDN, no build step and no file beside it. It talks only to this gateway's admin API, with
 * the admin token the operator types in, sent as `Authorization: Bearer`. Live updates come
 * from `GET /admin/events` read with fetch streaming (EventSource cannot send that header, and
 * a token in a URL would end up in logs). Every value from the server is set as text, never
 * parsed as HTML.
 */

const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --open: #cf222e; --half: #bf8700; --muted: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; padding: 16px 24px; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 15px; margin: 20px 0 8px; }
.muted { color: var(--muted); }
.live { color: var(--ok); }
.offline { color: var(--open); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.state { display: inline-block; min-width: 80px; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; text-align: center; }
.state-closed { background: var(--ok); }
.state-open { background: var(--open); }
.state-half_open { background: var(--half); }
tr.disabled td { opacity: .55; }
tr.disabled td.actions { opacity: 1; }
button { font: inherit; padding: 2px 10px; margin-right: 4px; cursor: pointer; border-radius: 6px; border: 1px solid var(--line); }
form#login { margin: 40px auto; max-width: 380px; display: flex; flex-direction: column; gap: 8px; }
form#login input { font: inherit; padding: 6px 8px; }
.error { color: var(--open); min-height: 1.4em; }
.totals { display: flex; gap: 24px; }
.totals div { font-size: 13px; }
.totals b { font-size: 18px; display: block; }
ol#transitions { list-style: none; padding: 0; margin: 0; font-family: ui-monospace, monospace; font-size: 13px; max-height: 320px; overflow: auto; }
ol#transitions li { padding: 2px 0; border-bottom: 1px dotted var(--line); }
[hidden] { display: none !important; }
`;

const SCRIPT = `
'use strict';
const TOKEN_KEY = 'switchboard.adminToken';
const RATE_WINDOW_MS = 10000;
const REFRESH_MS = 2000;
const MAX_TRANSITIONS = 100;
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN_KEY) || '';
let session = null;
const providers = new Map();
const samples = [];

function authHeaders() { return { authorization: 'Bearer ' + token }; }

function showLogin(message) {
  if (session) session.abort();
  session = null;
  token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('token').focus();
}

async function api(method, path) {
  const response = await fetch(path, { method, headers: authHeaders(), cache: 'no-store' });
  if (response.status === 401) { showLogin('The admin token was refused.'); throw new Error('unauthorized'); }
  const body = await response.json();
  if (!response.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + response.status));
  return body;
}

function cell(row, key, className) {
  let element = row.querySelector('[data-key="' + key + '"]');
  if (!element) {
    element = document.createElement('td');
    element.dataset.key = key;
    if (className) element.className = className;
    row.appendChild(element);
  }
  return element;
}

function ensureRow(name) {
  let row = document.querySelector('tr[data-provider="' + CSS.escape(name) + '"]');
  if (row) return row;
  row = document.createElement('tr');
  row.dataset.provider = name;
  cell(row, 'name').textContent = name;
  for (const key of ['type', 'models']) cell(row, key);
  const state = document.createElement('span');
  state.className = 'state';
  cell(row, 'circuit').appendChild(state);
  for (const key of ['latency', 'failure', 'inflight']) cell(row, key, 'number');
  cell(row, 'enabled');
  for (const key of ['weight', 'rate', 'errors']) cell(row, key, 'number');
  const actions = cell(row, 'actions', 'actions');
  for (const action of ['enable', 'disable', 'reset']) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = action;
    button.dataset.action = action;
    button.addEventListener('click', () => act(name, action, button));
    actions.appendChild(button);
  }
  $('providers').appendChild(row);
  return row;
}

function render(name) {
  const provider = providers.get(name);
  if (!provider) return;
  const row = ensureRow(name);
  row.classList.toggle('disabled', !provider.enabled);
  row.dataset.circuitState = provider.circuitState;
  row.dataset.enabled = String(provider.enabled);
  cell(row, 'type').textContent = provider.type || '';
  cell(row, 'models').textContent = (provider.models || []).join(', ');
  const state = cell(row, 'circuit').firstChild;
  state.className = 'state state-' + provider.circuitState;
  state.textContent = provider.circuitState.replace('_', '-');
  cell(row, 'latency').textContent = provider.latencyMs > 0 ? provider.latencyMs.toFixed(1) + ' ms' : '–';
  cell(row, 'failure').textContent = (provider.failureRate * 100).toFixed(1) + ' %';
  cell(row, 'inflight').textContent = String(provider.inFlight);
  cell(row, 'enabled').textContent = provider.enabled ? 'yes' : 'no';
  cell(row, 'weight').textContent = String(provider.weight);
  row.querySelector('[data-action="enable"]').hidden = provider.enabled;
  row.querySelector('[data-action="disable"]').hidden = !provider.enabled;
}

function applyEntry(entry) {
  const health = entry.health || {};
  providers.set(entry.name, {
    type: entry.type,
    models: entry.models,
    enabled: entry.enabled,
    weight: entry.weight,
    circuitState: entry.circuitState || 'closed',
    latencyMs: health.latencyMs || 0,
    failureRate: health.failureRate || 0,
    inFlight: health.inFlight || 0,
  });
  render(entry.name);
}

function applyList(list) {
  const seen = new Set(list.map((entry) => entry.name));
  for (const entry of list) applyEntry(entry);
  for (const name of [...providers.keys()]) {
    if (seen.has(name)) continue;
    providers.delete(name);
    const row = document.querySelector('tr[data-provider="' + CSS.escape(name) + '"]');
    if (row) row.remove();
  }
}

async function refresh() {
  try { applyList((await api('GET', '/admin/providers')).data); $('refresh-error').textContent = ''; }
  catch (error) { if (error.message !== 'unauthorized') $('refresh-error').textContent = 'Refresh failed: ' + error.message; }
}

async function act(name, action, button) {
  button.disabled = true;
  try {
    applyEntry(await api('POST', '/admin/providers/' + encodeURIComponent(name) + '/' + action));
  } catch (error) {
    if (error.message !== 'unauthorized') $('refresh-error').textContent = action + ' ' + name + ' failed: ' + error.message;
  } finally { button.disabled = false; }
}

function addTransition(event) {
  const item = document.createElement('li');
  const time = new Date(event.timestamp || Date.now()).toLocaleTimeString();
  const scope = event.model && event.model !== '*' ? ' (' + event.model + ')' : '';
  item.textContent = time + '  ' + event.provider + scope + '  ' + event.from + ' → ' + event.to + '  ' + (event.reason || '');
  const list = $('transitions');
  list.insertBefore(item, list.firstChild);
  while (list.children.length > MAX_TRANSITIONS) list.lastChild.remove();
}

function onEvent(name, data) {
  if (name === 'circuitStateChange') {
    addTransition(data);
    const provider = providers.get(data.provider);
    if (provider && (data.model === undefined || data.model === '*')) { provider.circuitState = data.to; render(data.provider); }
    else refresh();
  } else if (name === 'result') {
    samples.push({ at: Date.now(), provider: data.provider, failed: !data.success });
    const provider = providers.get(data.provider);
    if (provider) {
      provider.latencyMs = data.latencyEmaMs;
      provider.failureRate = data.failureRate;
      if (data.circuitState) provider.circuitState = data.circuitState;
      render(data.provider);
    }
  } else if (name === 'providerRegistered' || name === 'providerUnregistered' || name === 'reconfigured') {
    refresh();
  }
}

function updateRates() {
  const now = Date.now();
  while (samples.length > 0 && samples[0].at < now - RATE_WINDOW_MS) samples.shift();
  const perProvider = new Map();
  let errors = 0;
  for (const sample of samples) {
    const counts = perProvider.get(sample.provider) || { total: 0, failed: 0 };
    counts.total += 1;
    if (sample.failed) { counts.failed += 1; errors += 1; }
    perProvider.set(sample.provider, counts);
  }
  const seconds = RATE_WINDOW_MS / 1000;
  $('request-rate').textContent = (samples.length / seconds).toFixed(1);
  $('error-rate').textContent = (errors / seconds).toFixed(1);
  for (const name of providers.keys()) {
    const row = ensureRow(name);
    const counts = perProvider.get(name) || { total: 0, failed: 0 };
    cell(row, 'rate').textContent = (counts.total / seconds).toFixed(1);
    cell(row, 'errors').textContent = (counts.failed / seconds).toFixed(1);
  }
}

function parseBlock(block) {
  let name = 'message';
  const data = [];
  for (const line of block.split('\\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  try { onEvent(name, JSON.parse(data.join('\\n'))); } catch (error) { $('refresh-error').textContent = 'Bad event: ' + error.message; }
}

async function streamEvents(controller) {
  let delayMs = 500;
  while (!controller.signal.aborted) {
    try {
      const response = await fetch('/admin/events', { headers: authHeaders(), cache: 'no-store', signal: controller.signal });
      if (response.status === 401) { showLogin('The admin token was refused.'); return; }
      if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
      setLive(true);
      delayMs = 500;
      await refresh();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\\r\\n?/g, '\\n');
        let end;
        while ((end = buffer.indexOf('\\n\\n')) >= 0) { parseBlock(buffer.slice(0, end)); buffer = buffer.slice(end + 2); }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    setLive(false);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 10000);
  }
}

function setLive(live) {
  const status = $('status');
  status.textContent = live ? 'live' : 'reconnecting…';
  status.className = live ? 'live' : 'offline';
}

function start() {
  $('login').hidden = true;
  $('app').hidden = false;
  const controller = new AbortController();
  session = controller;
  streamEvents(controller);
  const timer = setInterval(() => { if (session === controller) refresh(); else clearInterval(timer); }, REFRESH_MS);
  const rates = setInterval(() => { if (session === controller) updateRates(); else clearInterval(rates); }, 1000);
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  token = $('token').value.trim();
  if (token === '') return;
  try {
    await api('GET', '/admin/providers');
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token').value = '';
    start();
  } catch (error) {
    if (error.message !== 'unauthorized') $('login-error').textContent = 'Cannot reach the admin API: ' + error.message;
  }
});
$('logout').addEventListener('click', () => showLogin(''));
if (token) start(); else showLogin('');
`;

const BODY = `
<form id="login" hidden>
  <h1>Switchboard</h1>
  <label for="token">Admin token (<code>server.adminToken</code>)</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required>
  <button type="submit">Open dashboard</button>
  <div id="login-error" class="error" role="alert"></div>
</form>
<main id="app" hidden>
  <header>
    <h1>Switchboard</h1>
    <span>events: <span id="status" class="offline">connecting…</span></span>
    <button type="button" id="logout">Forget token</button>
  </header>
  <div class="totals">
    <div><b id="request-rate">0.0</b>provider calls/s (10 s)</div>
    <div><b id="error-rate">0.0</b>failed calls/s (10 s)</div>
  </div>
  <div id="refresh-error" class="error" role="alert"></div>
  <h2>Providers</h2>
  <table>
    <thead><tr><th>provider</th><th>type</th><th>models</th><th>circuit</th><th>latency EMA</th><th>failure rate</th>
      <th>in flight</th><th>enabled</th><th>weight</th><th>calls/s</th><th>errors/s</th><th></th></tr></thead>
    <tbody id="providers"></tbody>
  </table>
  <h2>Circuit transitions</h2>
  <ol id="transitions"></ol>
</main>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The dashboard page's HTML (style and script inline). */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Switchboard dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;

/**
 * Response headers of the dashboard page: a Content-Security-Policy that lets only its own
 * inline style and script run (by hash) and lets it connect only to this origin, so the page
 * cannot load or send anything elsewhere; no caching, no referrer, no framing.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});
