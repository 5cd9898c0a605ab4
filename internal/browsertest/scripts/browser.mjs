// Starts the system's Chromium with every host but 127.0.0.1 unreachable, and records what
// each page does: requests, console messages, errors and Content-Security-Policy violations.
// run() saves a screenshot and the console of every page when a check fails.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

export const baseURL = () => env('BASE_URL');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// subscriptions is how many subscriptions the storegraph at API_URL holds, as its metrics
// say.
export async function subscriptions() {
  const metrics = await (await fetch(env('API_URL') + '/metrics')).text();
  return Number(metrics.match(/^subscriptions_active (\S+)$/m)?.[1]);
}

// subscribed waits until the storegraph holds n subscriptions, so that a change made next
// reaches them.
export async function subscribed(n) {
  const deadline = Date.now() + 30_000;
  for (let open; (open = await subscriptions()) !== n; await sleep(20)) {
    if (Date.now() > deadline) throw new Error(`storegraph holds ${open} subscriptions; want ${n}`);
  }
}

// Every page opened through open() is recorded here.
const pages = [];

// step names what the script is doing, for the report of a failure.
let current = 'starting';
export function step(what) {
  current = what;
}

// open opens a page, recorded under name for the checks after the script and the files
// saved on failure.
export async function open(browser, name) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const rec = { name, page, console: [], outside: [], violations: [], errors: [], requests: [] };
  pages.push(rec);
  page.on('console', (m) => rec.console.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => rec.errors.push(String(e?.stack ?? e)));
  page.on('request', (r) => {
    rec.requests.push(r.url());
    if (!isLocal(r.url())) rec.outside.push(r.url());
  });
  await page.exposeFunction('__cspViolation', (v) => rec.violations.push(v));
  await page.evaluateOnNewDocument(() => {
    // text is what an element shows; Monaco draws spaces as no-break spaces.
    window.text = (selector) => (document.querySelector(selector)?.textContent ?? '').replace(/\u00a0/g, ' ');
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`),
    );
  });
  return rec;
}

function isLocal(url) {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  return u.hostname === '127.0.0.1';
}

// quiet fails when a page asked for another host, broke its policy or threw.
function quiet(rec) {
  const problems = [
    ...rec.outside.map((u) => `request to another host: ${u}`),
    ...rec.violations.map((v) => `Content-Security-Policy violation: ${v}`),
    ...rec.errors.map((e) => `uncaught error: ${e}`),
  ];
  if (problems.length) throw new Error(`${rec.name}:\n  ${problems.join('\n  ')}`);
}

// run starts the browser, runs check with it and prints its result as a JSON line; then
// every page must have been quiet. On failure it saves each page's screenshot and console
// under OUT_DIR and exits with 1.
export async function run(check) {
  const out = env('OUT_DIR');
  const browser = await puppeteer.launch({
    executablePath: env('CHROMIUM'),
    headless: true,
    args: [
      '--no-sandbox', // the tests run as root
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--proxy-server=http://127.0.0.1:9', // a literal address elsewhere goes nowhere either
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--metrics-recording-only',
      '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
    ],
  });
  let failed = false;
  try {
    const result = await check(browser);
    step('checking that no page asked for another host, broke its policy or threw');
    for (const rec of pages) quiet(rec);
    process.stdout.write(JSON.stringify(result ?? {}) + '\n');
  } catch (err) {
    failed = true;
    process.stderr.write(`failed while: ${current}\n${err?.stack ?? err}\n`);
    await mkdir(out, { recursive: true });
    for (const rec of pages) {
      const base = path.join(out, rec.name);
      try {
        await rec.page.screenshot({ path: `${base}.png`, fullPage: true });
        process.stderr.write(`screenshot: ${base}.png\n`);
      } catch (e) {
        process.stderr.write(`no screenshot of ${rec.name}: ${e}\n`);
      }
      const log = [
        ...rec.console,
        ...rec.errors.map((e) => `[pageerror] ${e}`),
        ...rec.violations.map((v) => `[csp] ${v}`),
        ...rec.requests.map((u) => `[request] ${u}`),
      ];
      await writeFile(`${base}.console.log`, log.join('\n') + '\n');
      process.stderr.write(`console: ${base}.console.log\n`);
    }
  } finally {
    await browser.close();
  }
  process.exitCode = failed ? 1 : 0;
}
