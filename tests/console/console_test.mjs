// Browser test of the web console, run by tests/unit/test_e2e_console.c:
//   node console_test.mjs main  URL SHOTDIR      hello on the local cluster, no token
//   node console_test.mjs token URL SHOTDIR TOK  a scheduler started with --api-token
// Drives Debian's chromium (headless) with playwright-core. Prints "ok: ..." per check and
// "FAIL: ..." then exits 1 at the first failure; "CONSOLE TEST PASSED" at the end.
import {chromium} from 'playwright-core';

const [mode, url, shots, token] = process.argv.slice(2);
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
let browser;

function fail(msg) {
  console.log(`FAIL: ${msg}`);
  if (browser) browser.close().catch(() => {});
  process.exit(1);
}
const ok = (msg) => console.log(`ok: ${msg}`);
async function waitText(page, selector, re, timeout, what) {
  try {
    await page.waitForFunction(([s, r]) => {
      const el = document.querySelector(s);
      return el && new RegExp(r).test(el.textContent);
    }, [selector, re.source], {timeout, polling: 100});
  } catch {
    const now = await page.evaluate((s) => (document.querySelector(s) || {}).textContent, selector).catch(() => null);
    fail(`${what}: ${selector} never matched /${re.source}/ within ${timeout} ms (now: ${JSON.stringify(now)})`);
  }
}
async function confirm(page) {
  await page.waitForSelector('#confirm[open]', {timeout: 5000});
  const text = await page.textContent('#confirm-text');
  await page.click('#confirm-yes');
  return text;
}

async function main() {
  browser = await chromium.launch({executablePath: exe, args: ['--no-sandbox', '--disable-gpu']});
  const ctx = await browser.newContext({viewport: {width: 1280, height: 900}});
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Every answer >= 400 is an error, except the refusal the test provokes (a dry run of -1).
  page.on('response', (r) => {
    if (r.status() >= 400 && !(r.status() === 400 && r.url().includes('dryRun=true'))) errors.push(`${r.status()} ${r.url()}`);
  });
  const requests = [];
  page.on('request', (r) => requests.push({url: r.url(), t: Date.now(), headers: r.headers()}));

  // First paint: the best of three loads in fresh contexts (the first one also pays for the
  // browser's own start). The issue asks 200 ms on an idle loopback; the default budget here
  // leaves room for a loaded test machine (SDK_CONSOLE_PAINT_BUDGET_MS changes it).
  const paints = [];
  for (let i = 0; i < 3; i++) {
    const p = await ctx.newPage();
    await p.goto(url, {waitUntil: 'load'});
    // The paint entry may be recorded after the load event: wait for it (5 s at most).
    paints.push(await p.evaluate(() => new Promise((resolve) => {
      new PerformanceObserver((list) => {
        const e = list.getEntriesByName('first-contentful-paint')[0];
        if (e) resolve(e.startTime);
      }).observe({type: 'paint', buffered: true});
      setTimeout(() => resolve(Infinity), 5000);
    })));
    await p.close();
  }
  const paint = Math.min(...paints);
  console.log(`first-contentful-paint: ${paints.map((x) => x.toFixed(0)).join(', ')} ms (best ${paint.toFixed(0)})`);
  const budget = Number(process.env.SDK_CONSOLE_PAINT_BUDGET_MS || 1500);
  if (!(paint <= budget)) fail(`first paint ${paint} ms, budget ${budget} ms`);
  ok(`first paint within ${budget} ms`);
  await page.goto(url, {waitUntil: 'load'});

  // Overview.
  await waitText(page, '#svc-name', /hello-world/, 10000, 'service name in the header');
  await waitText(page, '[data-fact="Framework ID"]', /-0000$|-\d{4}$/, 15000, 'framework id');
  await waitText(page, '[data-fact="Plugin"]', /hello/, 5000, 'plugin');
  await waitText(page, '#live-text', /^live$/, 10000, 'event stream connected');
  ok('overview: service, framework id, plugin; event stream live');

  // Keyboard: arrow keys move between tabs.
  await page.focus('#tab-overview');
  await page.keyboard.press('ArrowRight');
  if ((await page.getAttribute('#tab-plans', 'aria-selected')) !== 'true') fail('ArrowRight did not select the Plans tab');
  ok('keyboard: ArrowRight selects the next tab');

  // Plans: the deploy plan reaches COMPLETE, live.
  await waitText(page, 'details[data-plan="deploy"] > summary .st', /^COMPLETE$/, 120000, 'deploy plan');
  await waitText(page, 'details[data-plan="deploy"] li[data-step="world-1:[server]"] .st', /^COMPLETE$/, 5000, 'last deploy step');
  ok('plans: deploy plan COMPLETE with its steps');
  await page.screenshot({path: `${shots}/plans.png`, fullPage: true});

  // No polling: while nothing happens, the page asks nothing.
  const before = requests.length;
  await page.waitForTimeout(3000);
  const idle = requests.slice(before).map((r) => r.url);
  if (idle.length) fail(`the idle page made requests: ${idle.join(', ')}`);
  ok('idle for 3 s: no request (no polling)');

  // Pods: pause then resume hello-0 from the page.
  await page.click('#tab-pods');
  const task = 'tr[data-pod="hello-0"] li[data-task="hello-0-server"] .st';
  await waitText(page, task, /^RUNNING$/, 20000, 'hello-0-server running');
  await page.screenshot({path: `${shots}/pods.png`, fullPage: true});
  await page.click('tr[data-pod="hello-0"] button[data-op="pause"]');
  await confirm(page);
  await waitText(page, task, /^PAUSED$/, 60000, 'hello-0-server paused');
  ok('pods: pause from the page -> PAUSED');
  await page.click('tr[data-pod="hello-0"] button[data-op="resume"]');
  await confirm(page);
  await waitText(page, task, /^RUNNING$/, 60000, 'hello-0-server resumed');
  ok('pods: resume from the page -> RUNNING');
  // Replace warns about the data and can be cancelled.
  await page.click('tr[data-pod="world-0"] button[data-op="replace"]');
  await page.waitForSelector('#confirm[open]');
  const warn = await page.textContent('#confirm-text');
  if (!/DATA .*DESTROYED/i.test(warn)) fail(`replace confirmation does not warn about the data: ${warn}`);
  await page.keyboard.press('Escape');
  ok('pods: replace asks to confirm and says the data will be destroyed');
  // Task output through the agent files API.
  await page.click('button[aria-label="stdout of hello-0-server"]');
  await waitText(page, '#log-text', /prepared by hello-0-prepare/, 15000, 'hello-0-server stdout (written by its server from the volume)');
  ok('pods: hello-0-server stdout read from its agent');
  await page.screenshot({path: `${shots}/pods-log.png`, fullPage: true});

  // Configuration: a bad value is refused in place, then world.count 2 -> 3 and the update runs.
  await page.click('#tab-config');
  const count = '[data-option="world.count"] input';
  await page.waitForSelector(count, {timeout: 10000});
  if ((await page.inputValue(count)) !== '2') fail(`world.count shows ${await page.inputValue(count)}, expected 2`);
  const hint = await page.textContent('[data-option="world.count"] .hint');
  if (!/Number of World pods/.test(hint) || !/default 2/.test(hint)) fail(`world.count hint: ${hint}`);
  ok('config: form from the schema (value, description, default)');
  await page.fill(count, '-1');
  await page.click('#config-review');
  await waitText(page, '[data-option="world.count"] .err', /world\.count/, 10000, 'error next to world.count');
  if ((await page.getAttribute(count, 'aria-invalid')) !== 'true') fail('world.count not marked invalid');
  ok('config: -1 refused, the error shown at the field');
  await page.screenshot({path: `${shots}/config-error.png`, fullPage: true});
  await page.fill(count, '3');
  await page.click('#config-review');
  await waitText(page, 'tr[data-diff="world.count"]', /2.*3/, 10000, 'diff world.count 2 -> 3');
  await waitText(page, '#diff-body', /Pods to launch: world-2/, 1000, 'diff names the new pod');
  ok('config: diff against the target before applying (world.count 2 -> 3, launches world-2)');
  await page.screenshot({path: `${shots}/config-diff.png`, fullPage: true});
  await page.click('#config-apply');
  await waitText(page, '#progress-plan li[data-step="world-2:[server]"] .st', /./, 20000, 'update plan shows world-2');
  await waitText(page, '#progress-plan li[data-step="world-2:[server]"] .st', /^COMPLETE$/, 120000, 'world-2 deployed');
  ok('config: the update plan ran to world-2:[server] COMPLETE');
  await page.screenshot({path: `${shots}/config-progress.png`, fullPage: true});

  // Events: the operator's lines.
  await page.click('#tab-events');
  await waitText(page, '#events', /deploy plan: COMPLETE/, 10000, 'events list');
  await waitText(page, '#events', /pause/i, 1000, 'pause event');
  ok('events: the console lines (deploy plan COMPLETE, the pause)');
  await page.screenshot({path: `${shots}/events.png`, fullPage: true});

  const streams = requests.filter((r) => new URL(r.url).pathname === '/v1/events').length;
  if (streams !== 1) fail(`${streams} /v1/events streams opened, expected 1`);
  ok('one /v1/events stream for the whole run');

  // Phone width: nothing wider than the window.
  await page.setViewportSize({width: 390, height: 844});
  for (const tab of ['overview', 'plans', 'pods', 'config']) {
    await page.click(`#tab-${tab}`);
    await page.waitForTimeout(200);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > 392) fail(`${tab} at 390 px is ${w} px wide`);
  }
  await page.click('#tab-pods');
  await page.screenshot({path: `${shots}/phone-pods.png`, fullPage: true});
  ok('phone width (390 px): no horizontal overflow');
  await page.setViewportSize({width: 1280, height: 800});
  await page.click('#tab-overview');
  await waitText(page, '[data-fact="Health"] .st', /^HEALTHY$/, 10000, 'health after the update');
  ok('overview: health HEALTHY, as text');
  await page.screenshot({path: `${shots}/overview.png`});
  // The README's picture (docs/console.png): the plans after the update, at a modest size.
  await page.setViewportSize({width: 1100, height: 640});
  await page.click('#banner button');
  await page.click('#tab-plans');
  await page.waitForTimeout(300);
  await page.screenshot({path: `${shots}/console.png`});
  if (errors.length) fail(`page errors: ${errors.join(' | ')}`);
  ok('no errors in the page');
}

async function tokenMode() {
  browser = await chromium.launch({executablePath: exe, args: ['--no-sandbox', '--disable-gpu']});
  const page = await (await browser.newContext({viewport: {width: 1280, height: 800}})).newPage();
  const auth = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/v1/')) auth.push(r.headers().authorization || ''); });
  await page.goto(url, {waitUntil: 'load'});
  await page.waitForSelector('#token[open]', {timeout: 10000}).catch(() => fail('no token dialog'));
  ok('the page asks for the token');
  await page.screenshot({path: `${shots}/token.png`});
  await page.fill('#token-input', token);
  await page.click('#token button[value="ok"]');
  await waitText(page, '#svc-name', /hello-world/, 15000, 'overview after the token');
  await waitText(page, '#live-text', /^live$/, 10000, 'event stream with the token');
  const stored = await page.evaluate(() => sessionStorage.getItem('sdk-console-token'));
  if (stored !== token) fail('token not kept in sessionStorage');
  const cookies = await page.context().cookies();
  if (cookies.length) fail(`cookies set: ${JSON.stringify(cookies)}`);
  if (!auth.some((a) => a === `Bearer ${token}`)) fail('no request sent the token header');
  ok('token kept in sessionStorage, sent as Authorization header, no cookies; stream follows');
}

// A service without an options schema (--spec + --env-file): the form lists the variables, the
// diff is the edited ones, and applying goes to POST /v1/update.
async function plainMode() {
  browser = await chromium.launch({executablePath: exe, args: ['--no-sandbox', '--disable-gpu']});
  const page = await (await browser.newContext({viewport: {width: 1280, height: 900}})).newPage();
  await page.goto(`${url}#config`, {waitUntil: 'load'});
  const f = '[data-option="WORLD_COUNT"] input';
  await page.waitForSelector(f, {timeout: 15000}).catch(() => fail('no WORLD_COUNT field in the variable list'));
  await waitText(page, '#config-fields', /no options schema/, 1000, 'the form says there is no schema');
  if ((await page.inputValue(f)) !== '2') fail(`WORLD_COUNT shows ${await page.inputValue(f)}, expected 2`);
  for (const leak of ['PATH', 'HOME', 'SDK_BIN_DIR']) {
    if (await page.$(`[data-option="${leak}"]`)) fail(`the scheduler's environment variable ${leak} is listed`);
  }
  ok('plain: the variables the spec uses listed (WORLD_COUNT = 2), not the process environment');
  await page.fill(f, '3');
  await page.click('#config-review');
  await waitText(page, 'tr[data-diff="WORLD_COUNT"]', /2.*3/, 5000, 'diff WORLD_COUNT 2 -> 3');
  await page.screenshot({path: `${shots}/plain-config.png`, fullPage: true});
  await page.click('#config-apply');
  await waitText(page, '#banner', /Update accepted/, 10000, 'the update accepted');
  await waitText(page, '#progress-plan li[data-step="world-2:[server]"] .st', /./, 20000, 'update plan shows world-2');
  ok('plain: WORLD_COUNT 2 -> 3 applied through /v1/update; the plan shows world-2');
}

try {
  if (mode === 'main') await main();
  else if (mode === 'plain') await plainMode();
  else if (mode === 'token') await tokenMode();
  else fail(`unknown mode ${mode}`);
} catch (e) {
  fail(e.stack || String(e));
}
await browser.close();
console.log('CONSOLE TEST PASSED');
