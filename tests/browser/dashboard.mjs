// Drives the gateway's /dashboard in Debian's Chromium through playwright-core (no browser
// download) and prints one JSON report on stdout; exit 0 only when every check passed.
//
// The browser reaches the gateway through a TCP proxy in this process, so the test can cut
// the page's connections from outside (as a load balancer or a network drop would), and can
// read every request the page sends: the reconnection must carry Last-Event-ID, and the API
// key must never appear in a URL. Evaluations are posted straight to the gateway.
//
// Environment: GATEWAY_URL, API_KEY, SCREENSHOT (a .png path), CHROMIUM (default
// /usr/bin/chromium).

import net from 'node:net';
import { chromium } from 'playwright-core';

const GATEWAY = new URL(process.env.GATEWAY_URL);
const KEY = process.env.API_KEY;
const SCREENSHOT = process.env.SCREENSHOT;
const MAX_TRANSFER = 100 * 1000;
const WAIT_MS = 15000;
const TOKEN = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';

const failures = [];
const report = { failures };

function check(ok, what, detail) {
  if (!ok) failures.push(detail === undefined ? what : `${what}: ${JSON.stringify(detail)}`);
  return ok;
}

// -- a proxy that can cut every connection and refuse new ones for a while ------------------

function startProxy() {
  const sockets = new Set();
  const heads = []; // every HTTP request head the browser sent
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(GATEWAY.port), GATEWAY.hostname);
    sockets.add(client);
    sockets.add(upstream);
    let pending = '';
    client.on('data', (chunk) => {
      // The page only sends GETs (no bodies), so request heads follow one another.
      pending += chunk.toString('latin1');
      let end;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        heads.push(pending.slice(0, end));
        pending = pending.slice(end + 4);
      }
    });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        heads,
        cut() {
          refusing = true;
          for (const socket of sockets) socket.destroy();
        },
        restore() {
          refusing = false;
        },
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}

function parseHead(head) {
  const [line, ...rest] = head.split('\r\n');
  const headers = {};
  for (const h of rest) {
    const colon = h.indexOf(':');
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  const [method, target] = line.split(' ');
  return { method, target, headers };
}

// -- the gateway, straight ---------------------------------------------------------------------

async function evaluate(command, { source = 'claude-code', principal } = {}) {
  const payload = source === 'cursor'
    ? { conversation_id: 'c', hook_event_name: 'beforeShellExecution', command, cwd: '/tmp', workspace_roots: ['/tmp'] }
    : { session_id: 's', cwd: '/tmp', tool_name: 'Bash', tool_input: { command } };
  if (principal) payload.vectimus_enrichment = { principal };
  const answer = await fetch(new URL('/evaluate', GATEWAY), {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'X-Vectimus-Source': source },
    body: JSON.stringify(payload),
  });
  const body = await answer.json();
  if (answer.status !== 200) throw new Error(`evaluate ${command}: ${answer.status} ${JSON.stringify(body)}`);
  return { command, source, principal, decision: body.decision, receipt: body.receipt_id, rules: body.matched_policy_ids };
}

// The events the gateway emits after `lastId`, read straight from /events.
async function emittedAfter(lastId, count) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), WAIT_MS);
  const answer = await fetch(new URL('/events', GATEWAY), {
    headers: { Authorization: `Bearer ${KEY}`, 'Last-Event-ID': lastId },
    signal: controller.signal,
  });
  const found = [];
  let text = '';
  let id = null;
  try {
    for await (const chunk of answer.body.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const lines = text.split('\r\n');
      text = lines.pop();
      for (const line of lines) {
        if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) found.push({ id, receipt: JSON.parse(line.slice(6)).receipt_id });
      }
      if (found.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return found;
}

// -- the page ---------------------------------------------------------------------------------

async function rows(page) {
  return page.$$eval('#feed tbody tr', (trs) => trs.map((tr) => ({
    id: tr.dataset.id,
    receipt: tr.dataset.receipt,
    decision: tr.dataset.decision,
    href: tr.querySelector('a.receipt')?.getAttribute('href'),
  })));
}

async function waitForRows(page, predicate, what) {
  try {
    await page.waitForFunction(predicate.fn, predicate.arg, { timeout: WAIT_MS, polling: 50 });
    return true;
  } catch {
    check(false, `timed out waiting for ${what}`, await rows(page));
    return false;
  }
}

const hasReceipts = {
  fn: (receipts) => {
    const shown = new Set([...document.querySelectorAll('#feed tbody tr')].map((tr) => tr.dataset.receipt));
    return receipts.every((r) => shown.has(r));
  },
};

const rowCount = { fn: (n) => document.querySelectorAll('#feed tbody tr').length === n };

function streamKey(id) {
  const [ms, seq] = id.split('-').map(BigInt);
  return [ms, seq];
}

function descending(ids) {
  return ids.every((id, i) => {
    if (i === 0) return true;
    const [a, b] = [streamKey(ids[i - 1]), streamKey(id)];
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
  });
}

// Live, and the gateway's first message (sent once it holds this client's position) is in.
async function streaming(page) {
  await page.waitForSelector('#connection[data-state="live"]', { timeout: WAIT_MS });
  await page.waitForFunction(() => document.getElementById('gateway').textContent !== '', null, { timeout: WAIT_MS });
}

async function counters(page) {
  return page.$$eval('[data-counter]', (dds) => Object.fromEntries(dds.map((d) => [d.dataset.counter, Number(d.textContent)])));
}

async function applyFilters(page, values) {
  for (const [name, value] of Object.entries(values)) {
    if (name === 'decision') await page.selectOption('#f-decision', value);
    else await page.fill(`#f-${name}`, value);
  }
  await page.click('#filters button[type="submit"]');
}

// Accessibility: labels, names, live region, and the contrast of every visible text.
function auditPage() {
  const problems = [];
  for (const control of document.querySelectorAll('input, select, textarea')) {
    if (control.type === 'hidden') continue;
    if (!control.labels?.length && !control.getAttribute('aria-label')) problems.push(`no label: #${control.id}`);
  }
  for (const button of document.querySelectorAll('button, a[href]')) {
    if (!(button.getAttribute('aria-label') || button.textContent.trim())) problems.push(`no name: ${button.outerHTML.slice(0, 60)}`);
  }
  if (document.getElementById('connection').getAttribute('aria-live') !== 'polite') problems.push('connection state is not a live region');
  const channel = (c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const rgb = (text) => (text.match(/[\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let worst = 21;
  let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const node = text.parentElement;
    if (!text.textContent.trim() || !node.checkVisibility?.() || node.closest('.visually-hidden')) continue;
    const style = getComputedStyle(node);
    const [l1, l2] = [luminance(rgb(style.color)), luminance(background(node))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
    checked += 1;
    worst = Math.min(worst, ratio);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}: ${text.textContent.trim().slice(0, 40)}`);
  }
  return { problems, worst: Math.round(worst * 100) / 100, checked };
}

// -- the run ----------------------------------------------------------------------------------

async function run(browser, proxy) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const transfers = {};
  const consoleProblems = [];
  page.on('pageerror', (error) => consoleProblems.push(String(error)));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) consoleProblems.push(message.text());
  });
  page.on('requestfinished', async (request) => {
    const path = new URL(request.url()).pathname;
    if (!path.startsWith('/dashboard')) return;
    const sizes = await request.sizes();
    transfers[path] = sizes.responseHeadersSize + sizes.responseBodySize;
  });

  // The key is asked for once, and kept in session storage only.
  await page.goto(`${proxy.url}/dashboard`);
  await page.waitForSelector('#access:not([hidden])', { timeout: WAIT_MS });
  check(await page.$eval('#connection', (n) => n.dataset.state) === 'locked', 'without a key the page asks for one');
  await page.fill('#api-key', 'not-the-key');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('key-error').textContent.includes('not valid'), null, { timeout: WAIT_MS });
  check(await page.evaluate(() => sessionStorage.getItem('vectimus.apiKey')) === null, 'a refused key is not kept');
  const keyedFrom = proxy.heads.length;
  await page.focus('#api-key');
  await page.keyboard.type(KEY);
  await page.keyboard.press('Enter');
  await streaming(page);
  check(await page.evaluate(() => sessionStorage.getItem('vectimus.apiKey')) !== null, 'the key is in session storage');
  await page.waitForSelector('#rules tbody tr', { timeout: WAIT_MS });
  report.rules = await page.$$eval('#rules tbody tr', (trs) => trs.length);

  // 1-2. Evaluations appear as rows, newest first, each linking to its receipt.
  const sent = [];
  for (const command of ['ls -la', 'git status', 'echo hello', 'cat README.md']) sent.push(await evaluate(command));
  sent.push(await evaluate('rm -rf /'));
  sent.push(await evaluate('rm -rf ~', { source: 'cursor' }));
  sent.push(await evaluate('deploy production'));
  sent.push(await evaluate('rm old.log', { principal: 'alice' }));
  sent.push(await evaluate(`echo "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>" ${TOKEN}`));
  const tally = (list) => {
    const counts = { total: list.length, allow: 0, deny: 0, escalate: 0 };
    for (const s of list) counts[s.decision] += 1;
    return counts;
  };
  report.sent = tally(sent);
  check(JSON.stringify(report.sent) === JSON.stringify({ total: 9, allow: 5, deny: 3, escalate: 1 }),
    'the test pack decides as expected', sent);
  await waitForRows(page, { ...hasReceipts, arg: sent.map((s) => s.receipt) }, 'the first rows');
  let shown = await rows(page);
  check(shown.length === sent.length, 'one row per evaluation', shown.length);
  check(JSON.stringify(shown.map((r) => r.receipt)) === JSON.stringify(sent.map((s) => s.receipt).reverse()), 'rows are newest first', shown);
  check(shown.every((r) => r.href === `#receipt=${encodeURIComponent(r.receipt)}`), 'every row links to its receipt id', shown);

  // Data is text: the <script> and the onerror never ran, and the token is masked.
  const hostile = sent[sent.length - 1].receipt;
  const cell = await page.$eval(`tr[data-receipt="${hostile}"] td.summary`, (td) => ({ text: td.textContent, elements: td.children.length }));
  check(await page.evaluate(() => window.pwned === undefined), 'a command with markup does not run', cell);
  check(cell.elements === 0 && cell.text.includes('<script>'), 'the summary is shown as text', cell);
  check(!cell.text.includes(TOKEN) && cell.text.includes('[REDACTED:github-token]'), 'the summary is redacted', cell);

  // 3. Counters, top lists and the chart.
  report.counters = await counters(page);
  check(JSON.stringify(report.counters) === JSON.stringify(report.sent), 'the counters match the decisions', report);
  const topRules = await page.$$eval('#top-rules li', (lis) => lis.map((li) => li.textContent));
  check(JSON.stringify(topRules) === JSON.stringify(['dashboard-001: 3', 'dashboard-002: 2']), 'the top denied rules', topRules);
  const topSources = await page.$$eval('#top-sources li', (lis) => lis.map((li) => li.textContent));
  check(topSources[0] === `claude-code: ${sent.length - 1}` && topSources.includes('cursor: 1'), 'the top sources', topSources);
  report.chart_bars = await page.$$eval('#chart rect.bar', (bars) => bars.length);
  check(report.chart_bars >= 3, 'the chart has a bar per outcome', report.chart_bars);

  // The receipt panel opens from the keyboard and closes with Escape.
  await page.focus(`tr[data-receipt="${sent[4].receipt}"] a.receipt`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#receipt[open]', { timeout: WAIT_MS });
  check((await page.textContent('#receipt-fields')).includes(sent[4].receipt), 'the receipt panel names the receipt');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.getElementById('receipt').open, null, { timeout: WAIT_MS });
  await page.click(`tr[data-receipt="${sent[5].receipt}"] a.receipt`);
  await page.waitForSelector('#receipt[open]', { timeout: WAIT_MS });
  await page.click('#receipt button');
  await page.waitForFunction(() => !document.getElementById('receipt').open && location.hash === '', null, { timeout: WAIT_MS });

  // 4. Filters: the same query parameters as /events, replayed over what the page holds.
  const denies = () => sent.filter((s) => s.decision === 'deny');
  await applyFilters(page, { decision: 'deny' });
  await page.waitForURL(/\?decision=deny$/, { timeout: WAIT_MS });
  await waitForRows(page, { ...rowCount, arg: denies().length }, 'the deny filter');
  shown = await rows(page);
  check(shown.every((r) => r.decision === 'deny'), 'the deny filter shows denies only', shown);
  sent.push(await evaluate('ls'));
  sent.push(await evaluate('rm -rf ~'));
  await waitForRows(page, { ...hasReceipts, arg: [sent[sent.length - 1].receipt] }, 'a deny under the filter');
  shown = await rows(page);
  check(shown.length === denies().length && !shown.some((r) => r.receipt === sent[sent.length - 2].receipt), 'an allow is filtered out live', shown);
  check(JSON.stringify(await counters(page)) === JSON.stringify({ ...tally(denies()), total: denies().length }), 'the counters follow the filter');

  await applyFilters(page, { principal: 'alice' });
  await page.waitForURL(/decision=deny&principal=alice$/, { timeout: WAIT_MS });
  const alice = sent.filter((s) => s.principal === 'alice' && s.decision === 'deny');
  check(alice.length === 1, 'one deny by alice');
  await waitForRows(page, { ...rowCount, arg: alice.length }, 'the principal filter');
  check(JSON.stringify((await rows(page)).map((r) => r.receipt)) === JSON.stringify(alice.map((s) => s.receipt)), 'the principal filter', await rows(page));

  await page.click('#filters button[type="reset"]');
  await page.waitForURL((url) => url.search === '', { timeout: WAIT_MS });
  await applyFilters(page, { source: 'emacs' });
  await page.waitForSelector('#connection[data-state="error"]', { timeout: WAIT_MS });
  check((await page.textContent('#connection')).includes('unknown source'), 'a refused filter is shown', await page.textContent('#connection'));
  await page.click('#filters button[type="reset"]');
  await applyFilters(page, { rule: 'dashboard-002' });
  const recursive = sent.filter((s) => s.rules.includes('dashboard-002'));
  await waitForRows(page, { ...rowCount, arg: recursive.length }, 'the rule filter');
  check(JSON.stringify((await rows(page)).map((r) => r.receipt)) === JSON.stringify(recursive.map((s) => s.receipt).reverse()), 'the rule filter', await rows(page));
  await page.click('#filters button[type="reset"]');
  await waitForRows(page, { ...rowCount, arg: sent.length }, 'every row back after clearing the filters');
  check(JSON.stringify(await counters(page)) === JSON.stringify(tally(sent)), 'cleared filters count everything again');
  const filterRequests = proxy.heads.map(parseHead).filter((h) => h.target.startsWith('/events?'));
  report.filter_requests = filterRequests.map((h) => h.target);
  check(report.filter_requests.includes('/events?decision=deny') && report.filter_requests.includes('/events?rule=dashboard-002'),
    'the filters are /events query parameters', report.filter_requests);

  // 5. Cut the connection from outside; what happens meanwhile arrives after the reconnection.
  await page.waitForSelector('#connection[data-state="live"]', { timeout: WAIT_MS });
  const lastBefore = (await rows(page))[0].id;
  const headsBefore = proxy.heads.length;
  proxy.cut();
  await page.waitForSelector('#connection[data-state="reconnecting"]', { timeout: WAIT_MS });
  report.state_while_cut = await page.textContent('#connection');
  const during = [];
  for (const command of ['echo during-1', 'rm -rf build', 'echo during-3']) during.push(await evaluate(command));
  sent.push(...during);
  await new Promise((done) => setTimeout(done, 300));
  proxy.restore();
  const cutAt = Date.now();
  await page.waitForSelector('#connection[data-state="live"]', { timeout: WAIT_MS });
  await waitForRows(page, { ...hasReceipts, arg: during.map((s) => s.receipt) }, 'the rows sent while cut');
  report.reconnect_ms = Date.now() - cutAt;
  const resumed = proxy.heads.slice(headsBefore).map(parseHead).filter((h) => h.target === '/events');
  report.resumed_with = resumed.map((h) => h.headers['last-event-id'] || null);
  check(resumed.length >= 1 && resumed.every((h) => h.headers['last-event-id'] === lastBefore),
    'the page resumes with Last-Event-ID = the last event it had', { lastBefore, resumed: report.resumed_with });
  shown = await rows(page);
  check(shown.length === sent.length, 'no row lost or repeated', { shown: shown.length, sent: sent.length });
  check(descending(shown.map((r) => r.id)), 'stream ids strictly descending (no duplicate)', shown.map((r) => r.id));
  const emitted = await emittedAfter(lastBefore, during.length);
  const after = shown.slice(0, during.length).reverse();
  check(JSON.stringify(after.map((r) => [r.id, r.receipt])) === JSON.stringify(emitted.map((e) => [e.id, e.receipt])),
    'the rows after the cut are exactly what the gateway emitted', { after, emitted });
  check(JSON.stringify(await counters(page)) === JSON.stringify(tally(sent)), 'the counters after the reconnection');

  // Accessibility and keyboard: the skip link comes first, and every control is reachable.
  report.accessibility = await page.evaluate(auditPage);
  check(report.accessibility.problems.length === 0, 'accessibility', report.accessibility.problems);
  // A click on the bare page sets where Tab starts, as a user's would.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.click(2, 2);
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement?.className === 'skip'), 'the skip link is the first stop');
  const stops = new Set();
  for (let i = 0; i < 12; i += 1) {
    await page.keyboard.press('Tab');
    stops.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName));
  }
  check(['f-decision', 'f-source', 'f-rule', 'f-principal'].every((id) => stops.has(id)), 'the filters are reachable by Tab', [...stops]);

  // The key never travelled in a URL.
  const targets = proxy.heads.map((h) => parseHead(h).target);
  check(!targets.some((t) => t.includes(KEY)) && !page.url().includes(KEY), 'the key is never in a URL', targets);
  const dataRequests = proxy.heads.slice(keyedFrom).map(parseHead).filter((h) => /^\/(events|policies)/.test(h.target));
  check(dataRequests.length > 0 && dataRequests.every((h) => h.headers.authorization === `Bearer ${KEY}`),
    'once given, the key goes in the Authorization header of every data request');
  check(consoleProblems.length === 0, 'no script error and no CSP violation', consoleProblems);

  // 6. Screenshot, and the page's weight.
  await page.evaluate(() => document.activeElement?.blur());
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  report.screenshot = SCREENSHOT;
  report.transfer = transfers;
  report.transfer_bytes = Object.values(transfers).reduce((a, b) => a + b, 0);
  check(['/dashboard', '/dashboard/app.js', '/dashboard/style.css'].every((p) => p in transfers), 'every asset measured', transfers);
  check(report.transfer_bytes <= MAX_TRANSFER, `the page transfers at most ${MAX_TRANSFER} bytes`, report.transfer_bytes);
  report.rows = shown.length;

  // A reload keeps the key (same tab) and takes its filters from the address.
  await page.goto(`${proxy.url}/dashboard?decision=escalate`);
  await streaming(page);
  check(await page.isHidden('#access'), 'the key is asked for once per tab');
  check(await page.inputValue('#f-decision') === 'escalate', 'the filters come from the address');
  const escalated = await evaluate('deploy staging');
  await evaluate('ls');
  await waitForRows(page, { ...hasReceipts, arg: [escalated.receipt] }, 'a row after the reload');
  check((await rows(page)).every((r) => r.decision === 'escalate'), 'the address filter applies', await rows(page));
  await context.close();
}

const started = Date.now();
const proxy = await startProxy();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
try {
  await run(browser, proxy);
} catch (error) {
  failures.push(`crashed: ${error.stack || error}`);
} finally {
  await browser.close();
  proxy.cut();
  await proxy.close();
}
report.ok = failures.length === 0;
report.elapsed_ms = Date.now() - started;
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(report.ok ? 0 : 1);
