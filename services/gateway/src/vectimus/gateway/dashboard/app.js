'use strict';
// The Vectimus dashboard: a live view of GET /events and GET /policies.
//
// /events is read with fetch() and a streaming body, not EventSource, because EventSource
// cannot send a header and the API key must never be put in a URL. So this file parses
// Server-Sent Events itself, remembers the last event id, and reconnects with a
// Last-Event-ID header and backoff: the gateway resumes right after that id, so a dropped
// connection loses nothing. Data from the gateway is only ever written with textContent.

const FILTERS = ['decision', 'source', 'rule', 'principal'];
const DECISIONS = ['allow', 'deny', 'escalate'];
const KEY_STORE = 'vectimus.apiKey';
const MAX_EVENTS = 5000; // kept in memory: the counters and the chart cover these
const MAX_ROWS = 200; // shown in the feed table
const CHART_MINUTES = 30;
const TOP = 5;
const WATCHDOG_MS = 45000; // nothing at all (not even a heartbeat) for this long: reconnect
const MAX_BACKOFF_MS = 15000;
const LAST_SEQ = 18446744073709551615n; // the largest sequence part of a stream id

const $ = (id) => document.getElementById(id);

const state = {
  key: sessionStorage.getItem(KEY_STORE) || '',
  filters: {},
  events: [], // {id, e}, oldest first: every event matching the filters since `origin`
  origin: null, // a stream id: `events` is complete from just after it
  lastId: null, // the id of the last event received: the resume point
  controller: null, // the live /events request; replaced (and aborted) on purpose
  attempt: 0,
  retryMs: 1000, // the server's `retry:` advice, the first reconnection delay
  timer: 0,
  shownId: null, // the newest event the feed table shows
  rules: new Map(),
  rulesLoad: 0, // counts /policies requests, so only the latest one's answer is used
};

// -- stream ids (`<ms>-<seq>`): compared as numbers, never as strings ------------------------

function idKey(id) {
  const [ms, seq] = id.split('-');
  return [BigInt(ms), BigInt(seq || 0)];
}

function isAfter(a, b) {
  const [x, y] = [idKey(a), idKey(b)];
  return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
}

function before(id) {
  const [ms, seq] = idKey(id);
  return seq > 0n ? `${ms}-${seq - 1n}` : `${ms - 1n}-${LAST_SEQ}`;
}

// -- small DOM helpers -----------------------------------------------------------------------

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function clock(iso) {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? String(iso) : at.toLocaleTimeString();
}

function setConnection(kind, text) {
  const node = $('connection');
  node.dataset.state = kind;
  node.textContent = text;
}

function authHeaders() {
  return state.key ? { Authorization: `Bearer ${state.key}` } : {};
}

async function problem(answer) {
  try {
    const body = await answer.json();
    return [body.message, body.hint].filter(Boolean).join(': ') || `HTTP ${answer.status}`;
  } catch {
    return `HTTP ${answer.status}`;
  }
}

// -- the API key -----------------------------------------------------------------------------

function askForKey(message) {
  stopStream();
  if (state.key) {
    sessionStorage.removeItem(KEY_STORE);
    state.key = '';
  }
  $('access').hidden = false;
  $('forget-key').hidden = true;
  $('key-error').textContent = message || '';
  setConnection('locked', 'Waiting for an API key');
  $('api-key').focus();
}

function useKey(event) {
  event.preventDefault();
  const input = $('api-key');
  state.key = input.value.trim();
  input.value = '';
  if (!state.key) return;
  sessionStorage.setItem(KEY_STORE, state.key);
  $('access').hidden = true;
  $('key-error').textContent = '';
  $('forget-key').hidden = false;
  loadRules();
  restart();
}

function forgetKey() {
  sessionStorage.removeItem(KEY_STORE);
  state.key = '';
  askForKey('');
}

// -- the stream ------------------------------------------------------------------------------

function eventsUrl() {
  const query = new URLSearchParams();
  for (const name of FILTERS) if (state.filters[name]) query.set(name, state.filters[name]);
  const text = query.toString();
  return text ? `/events?${text}` : '/events';
}

function stopStream() {
  clearTimeout(state.timer);
  const old = state.controller;
  state.controller = null;
  if (old) old.abort();
}

async function connect() {
  stopStream();
  const controller = new AbortController();
  state.controller = controller;
  const headers = { Accept: 'text/event-stream', ...authHeaders() };
  if (state.lastId) headers['Last-Event-ID'] = state.lastId;
  setConnection('connecting', state.attempt ? `Reconnecting (attempt ${state.attempt + 1})…` : 'Connecting…');
  let answer;
  try {
    answer = await fetch(eventsUrl(), { headers, signal: controller.signal, cache: 'no-store' });
  } catch {
    dropped(controller, 'the gateway could not be reached');
    return;
  }
  if (!answer.ok) {
    const message = await problem(answer);
    if (state.controller !== controller) return; // a newer request (new filters, a key) won
    if (answer.status === 401) {
      askForKey(message);
    } else if (answer.status === 400) {
      // The same request would be refused again: say why and wait for new filters.
      setConnection('error', `The gateway refused the filters: ${message}`);
      state.controller = null;
    } else {
      dropped(controller, message);
    }
    return;
  }
  if (state.controller !== controller) return;
  state.attempt = 0;
  setConnection('live', 'Live');
  try {
    await read(answer.body, controller);
    dropped(controller, 'the gateway closed the stream');
  } catch {
    dropped(controller, 'the connection was lost');
  }
}

function dropped(controller, why) {
  if (state.controller !== controller) return; // replaced on purpose: nothing to resume
  controller.abort();
  const delay = Math.min(MAX_BACKOFF_MS, state.retryMs * 2 ** state.attempt);
  const jittered = Math.round(delay * (0.75 + Math.random() / 4));
  state.attempt += 1;
  setConnection('reconnecting', `Disconnected (${why}); reconnecting in ${Math.ceil(jittered / 1000)} s`);
  state.timer = setTimeout(connect, jittered);
}

async function read(body, controller) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const sse = { data: [], id: null };
  let buffer = '';
  let watchdog = setTimeout(() => controller.abort(), WATCHDOG_MS);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), WATCHDOG_MS);
      buffer = lines(buffer + value, (line) => field(sse, line));
    }
  } finally {
    clearTimeout(watchdog);
  }
}

// Calls `each` for every complete line and returns the incomplete rest. A line ends at
// CRLF, LF or CR; a CR at the very end waits for the next chunk, which may start with LF.
function lines(text, each) {
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c !== '\n' && c !== '\r') continue;
    if (c === '\r' && i + 1 === text.length) break;
    each(text.slice(start, i));
    if (c === '\r' && text[i + 1] === '\n') i += 1;
    start = i + 1;
  }
  return text.slice(start);
}

function field(sse, line) {
  if (line === '') {
    if (sse.id !== null && sse.data.length) receive(sse.id, sse.data.join('\n'));
    sse.data = [];
    return;
  }
  if (line[0] === ':') {
    const comment = line.slice(1).trim();
    if (comment.startsWith('connected gateway=')) {
      $('gateway').textContent = `Gateway ${comment.slice('connected gateway='.length)}`;
    }
    return;
  }
  const colon = line.indexOf(':');
  const name = colon < 0 ? line : line.slice(0, colon);
  let value = colon < 0 ? '' : line.slice(colon + 1);
  if (value[0] === ' ') value = value.slice(1);
  if (name === 'data') sse.data.push(value);
  else if (name === 'id' && /^\d+-\d+$/.test(value)) sse.id = value;
  else if (name === 'retry' && /^\d+$/.test(value)) state.retryMs = Math.max(250, Number(value));
}

function receive(id, text) {
  if (state.lastId && !isAfter(id, state.lastId)) return; // already have it
  let event;
  try {
    event = JSON.parse(text);
  } catch {
    return;
  }
  state.lastId = id;
  if (state.origin === null) state.origin = before(id);
  state.events.push({ id, e: event });
  if (state.events.length > MAX_EVENTS) {
    state.events.splice(0, state.events.length - MAX_EVENTS);
    state.origin = before(state.events[0].id);
  }
  scheduleRender();
}

// Filters changed (or a key was given): replay the window under the new filters. The
// gateway reads its stream from `origin`, so narrowing and widening are both exact.
function restart() {
  stopStream();
  state.events = [];
  state.shownId = null;
  state.lastId = state.origin;
  state.attempt = 0;
  $('feed').tBodies[0].replaceChildren();
  render();
  connect();
}

// -- filters ---------------------------------------------------------------------------------

function readFilters(form) {
  const chosen = {};
  for (const name of FILTERS) {
    const value = form.elements[name].value.split(',').map((v) => v.trim()).filter(Boolean).join(',');
    if (value) chosen[name] = value;
  }
  return chosen;
}

function applyFilters(chosen) {
  state.filters = chosen;
  const query = new URLSearchParams(chosen).toString();
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
  restart();
}

function initialFilters() {
  const query = new URLSearchParams(location.search);
  const form = $('filters');
  for (const name of FILTERS) {
    const value = query.get(name);
    if (!value) continue;
    state.filters[name] = value;
    const control = form.elements[name];
    if (control.tagName === 'SELECT' && ![...control.options].some((o) => o.value === value)) {
      control.append(new Option(value, value));
    }
    control.value = value;
  }
}

// -- rendering -------------------------------------------------------------------------------

let renderPending = false;

function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  setTimeout(() => {
    renderPending = false;
    render();
  }, 100);
}

function principalOf(e) {
  return e.caller && e.caller !== e.principal ? `${e.principal} (key ${e.caller})` : e.principal;
}

function feedRow({ id, e }) {
  const row = el('tr');
  row.dataset.id = id;
  row.dataset.receipt = e.receipt_id;
  row.dataset.decision = e.decision;
  const time = el('time', clock(e.recorded_at));
  time.dateTime = e.recorded_at;
  const when = el('td');
  when.append(time);
  const decision = el('td');
  decision.append(el('span', e.decision, `badge ${DECISIONS.includes(e.decision) ? e.decision : ''}`));
  const rules = el('td', (e.matched_policy_ids || []).join(', ') || '—');
  rules.title = (e.matched_policy_ids || []).map((r) => state.rules.get(r)?.description || r).join('\n');
  const receipt = el('td');
  const link = el('a', `…${String(e.receipt_id).slice(-8)}`, 'receipt');
  link.href = `#receipt=${encodeURIComponent(e.receipt_id)}`;
  link.setAttribute('aria-label', `Receipt ${e.receipt_id}`);
  receipt.append(link);
  row.append(
    when,
    el('td', e.source),
    el('td', principalOf(e)),
    el('td', e.action_type),
    el('td', e.summary, 'summary'),
    decision,
    rules,
    receipt,
  );
  return row;
}

function renderFeed() {
  const { events } = state;
  let first = events.length;
  while (first > Math.max(0, events.length - MAX_ROWS) &&
         (state.shownId === null || isAfter(events[first - 1].id, state.shownId))) first -= 1;
  const rows = document.createDocumentFragment();
  for (let i = events.length - 1; i >= first; i -= 1) rows.append(feedRow(events[i]));
  const body = $('feed').tBodies[0];
  body.prepend(rows);
  while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
  if (events.length) state.shownId = events[events.length - 1].id;
}

function tally() {
  const counts = { total: 0, allow: 0, deny: 0, escalate: 0 };
  const denied = new Map();
  const sources = new Map();
  const end = Math.floor(Date.now() / 60000) + 1;
  const minutes = Array.from({ length: CHART_MINUTES }, () => ({ allow: 0, deny: 0, escalate: 0 }));
  for (const { e } of state.events) {
    counts.total += 1;
    if (DECISIONS.includes(e.decision)) counts[e.decision] += 1;
    sources.set(e.source, (sources.get(e.source) || 0) + 1);
    if (e.decision === 'deny') {
      for (const rule of e.matched_policy_ids || []) denied.set(rule, (denied.get(rule) || 0) + 1);
    }
    const minute = Math.floor(Date.parse(e.recorded_at) / 60000);
    // A clock ahead of this browser's still lands in the current minute.
    const slot = CHART_MINUTES - Math.max(1, end - minute);
    if (slot >= 0 && minutes[slot][e.decision] !== undefined) minutes[slot][e.decision] += 1;
  }
  return { counts, denied, sources, minutes };
}

function renderTop(list, counts) {
  const items = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);
  list.replaceChildren(...items.map(([name, n]) => el('li', `${name}: ${n}`)));
  if (!items.length) list.append(el('li', 'none yet', 'muted'));
}

const SVG = 'http://www.w3.org/2000/svg';

function renderChart(minutes) {
  const svg = $('chart');
  const width = 600 / CHART_MINUTES;
  const peak = Math.max(1, ...minutes.map((m) => m.allow + m.deny + m.escalate));
  const bars = [];
  minutes.forEach((m, slot) => {
    let top = 150;
    for (const decision of DECISIONS) {
      if (!m[decision]) continue;
      const height = (m[decision] / peak) * 140;
      top -= height;
      const bar = document.createElementNS(SVG, 'rect');
      bar.setAttribute('class', `bar ${decision}`);
      bar.setAttribute('x', String(slot * width + 1));
      bar.setAttribute('y', String(top));
      bar.setAttribute('width', String(width - 2));
      bar.setAttribute('height', String(height));
      bars.push(bar);
    }
  });
  const axis = document.createElementNS(SVG, 'line');
  axis.setAttribute('class', 'axis');
  for (const [k, v] of [['x1', 0], ['x2', 600], ['y1', 150.5], ['y2', 150.5]]) axis.setAttribute(k, String(v));
  svg.replaceChildren(axis, ...bars);
  const total = minutes.reduce((n, m) => n + m.allow + m.deny + m.escalate, 0);
  const busiest = minutes.reduce((best, m) => Math.max(best, m.allow + m.deny + m.escalate), 0);
  $('chart-summary').textContent =
    `${total} decisions in the last ${CHART_MINUTES} minutes; the busiest minute had ${busiest}.`;
}

function render() {
  renderFeed();
  const { counts, denied, sources, minutes } = tally();
  for (const [name, n] of Object.entries(counts)) {
    document.querySelector(`[data-counter="${name}"]`).textContent = String(n);
  }
  renderTop($('top-rules'), denied);
  renderTop($('top-sources'), sources);
  renderChart(minutes);
  const first = state.events[0];
  $('window').textContent = first
    ? `Counting the ${state.events.length} events received since ${clock(first.e.recorded_at)}` +
      ` (the latest ${MAX_EVENTS} are kept).`
    : 'No events yet.';
}

// -- the receipt panel -----------------------------------------------------------------------

function showReceipt() {
  const match = /^#receipt=(.+)$/.exec(location.hash);
  if (!match) return;
  const receiptId = decodeURIComponent(match[1]);
  const found = state.events.find((item) => item.e.receipt_id === receiptId);
  const fields = $('receipt-fields');
  fields.replaceChildren();
  const add = (name, value) => fields.append(el('dt', name), el('dd', value));
  add('Receipt id', receiptId);
  if (found) {
    const e = found.e;
    add('Stream id', found.id);
    add('Recorded at', e.recorded_at);
    add('Source', e.source);
    add('Principal', e.principal);
    add('API key name', e.caller);
    add('Action', e.action_type);
    add('Command or path (redacted)', e.summary);
    add('Decision', e.degraded ? `${e.decision} (degraded)` : e.decision);
    for (const rule of e.matched_policy_ids || []) add(rule, state.rules.get(rule)?.description || '');
  } else {
    add('Details', 'This event is no longer held by the page.');
  }
  const dialog = $('receipt');
  if (!dialog.open) dialog.showModal();
}

function receiptClosed() {
  history.replaceState(null, '', location.pathname + location.search);
}

// -- rules -----------------------------------------------------------------------------------

async function loadRules() {
  const load = ++state.rulesLoad;
  const status = $('rules-status');
  status.textContent = 'Loading rules…';
  let answer;
  let body;
  try {
    answer = await fetch('/policies', { headers: authHeaders(), cache: 'no-store' });
    body = answer.ok ? await answer.json() : await problem(answer);
  } catch {
    body = 'the gateway could not be reached';
  }
  if (load !== state.rulesLoad) return; // a newer request (another key) is under way
  if (answer?.status === 401) {
    status.textContent = '';
    askForKey(body);
    return;
  }
  if (!answer?.ok) {
    status.textContent = `The rules could not be loaded: ${body}`;
    return;
  }
  state.rules = new Map(body.rules.map((rule) => [rule.id, rule]));
  $('rule-ids').replaceChildren(...body.rules.map((rule) => new Option('', rule.id)));
  const rows = body.rules.map((rule) => {
    const row = el('tr');
    const id = el('td');
    id.append(el('code', rule.id));
    row.append(
      id,
      el('td', rule.description),
      el('td', rule.pack),
      el('td', rule.enforcement),
      el('td', rule.incident || '—'),
      el('td', (rule.controls || []).join(', ') || '—'),
    );
    row.dataset.search = [rule.id, rule.description, rule.pack, rule.enforcement, rule.incident,
      ...(rule.controls || [])].join(' ').toLowerCase();
    return row;
  });
  $('rules').tBodies[0].replaceChildren(...rows);
  searchRules();
}

function searchRules() {
  const words = $('rule-search').value.toLowerCase().split(/\s+/).filter(Boolean);
  const rows = [...$('rules').tBodies[0].rows];
  let shown = 0;
  for (const row of rows) {
    row.hidden = !words.every((w) => row.dataset.search.includes(w));
    if (!row.hidden) shown += 1;
  }
  $('rules-status').textContent = `${shown} of ${rows.length} rules`;
}

// -- start -----------------------------------------------------------------------------------

function start() {
  initialFilters();
  $('key-form').addEventListener('submit', useKey);
  $('forget-key').addEventListener('click', forgetKey);
  $('forget-key').hidden = !state.key;
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilters(readFilters(event.target));
  });
  $('filters').addEventListener('reset', () => applyFilters({}));
  $('rule-search').addEventListener('input', searchRules);
  $('rules-reload').addEventListener('click', loadRules);
  $('receipt').addEventListener('close', receiptClosed);
  window.addEventListener('hashchange', showReceipt);
  window.addEventListener('online', () => {
    if (state.timer && state.controller) connect();
  });
  setInterval(render, 15000); // the chart's minutes move on even when nothing happens
  render();
  loadRules();
  connect();
}

start();
