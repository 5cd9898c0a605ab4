// The React + Apollo example: signs in, filters the store's items by two tags, and sets an
// item's tags, which the page shows before the server has answered (the optimistic
// response) and keeps once it has; a second page, open on the same store, shows the change
// live.
// Env: BASE_URL (the app, which passes /graphql on to storegraph), API_URL (that storegraph),
// QUERY_URL (a storegraph on the same database that runs any document), BY_HASH ("true"
// when the app's requests must carry their document's hash and not its text); EXPECT, JSON: {email,
// password, tags: two tag names, filtered: the item names carrying both, item: the item to
// change, newTags: its tag names afterwards, sorted}.
import assert from 'node:assert/strict';
import { baseURL, open, run, step, subscribed } from './browser.mjs';

const expect = JSON.parse(process.env.EXPECT);

// What the page shows, read inside it.
function pageHelpers() {
  const chips = () => [...document.querySelectorAll('.chips button')];
  const chipName = (b) => b.firstChild.textContent.trim();
  window.shown = {
    items: () => [...document.querySelectorAll('.items li .name')].map((e) => e.textContent),
    rowTags: (item) =>
      [...(document.querySelector(`.items li[aria-label="${item}"]`)?.querySelectorAll('.tag') ?? [])].map(
        (t) => t.textContent,
      ),
    chip: (name) => chips().find((b) => chipName(b) === name),
    pressed: () => chips().filter((b) => b.getAttribute('aria-pressed') === 'true').map(chipName),
    counts: () => Object.fromEntries(chips().map((b) => [chipName(b), Number(b.querySelector('.count').textContent)])),
  };
}

// operation is the name of the GraphQL operation a request of the app sends, if any.
function operation(request) {
  try {
    return JSON.parse(request.postData() ?? '').operationName;
  } catch {
    return undefined;
  }
}

async function graphql(query, variables) {
  const res = await fetch(process.env.QUERY_URL + '/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()).data;
}

await run(async (browser) => {
  const { page } = await open(browser, 'example-app');
  await page.evaluateOnNewDocument(pageHelpers);
  const posted = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/graphql') posted.push(JSON.parse(r.postData()));
  });
  await page.goto(baseURL() + '/', { waitUntil: 'load' });
  await page.waitForSelector('.items li');

  step('signing in');
  await page.locator('input[aria-label="Email"]').fill(expect.email);
  await page.locator('input[aria-label="Password"]').fill(expect.password);
  await page.locator('button[type="submit"]').click();
  await page.waitForFunction((email) => document.querySelector('.user')?.textContent.includes(email), {}, expect.email);

  step('filtering by two tags');
  for (const [i, name] of expect.tags.entries()) {
    const chip = (await page.evaluateHandle((name) => shown.chip(name), name)).asElement();
    assert.ok(chip, `no chip for the tag ${name}`);
    await chip.click();
    await page.waitForFunction((want) => JSON.stringify(shown.pressed().sort()) === JSON.stringify(want), {},
      expect.tags.slice(0, i + 1).sort());
  }
  await page.waitForFunction((want) => JSON.stringify(shown.items()) === JSON.stringify(want), {}, expect.filtered);

  step('opening a second page on the store, signed out');
  const viewer = (await open(browser, 'example-app-viewer')).page;
  await viewer.evaluateOnNewDocument(pageHelpers);
  await viewer.goto(baseURL() + '/', { waitUntil: 'load' });
  await viewer.waitForFunction((item) => shown.items().includes(item), {}, expect.item);
  const before = await viewer.evaluate((item) => shown.rowTags(item), expect.item);
  assert.notDeepEqual(before, expect.newTags);
  step('waiting for both pages to subscribe');
  await subscribed(2);

  step("setting the item's tags"); // holding the request back to see the optimistic response first
  await page.bringToFront(); // a page in the background draws no frames
  await page.setRequestInterception(true);
  const sent = new Promise((resolve) =>
    page.on('request', (r) => {
      if (operation(r) === 'SetItemTags') resolve(r);
      else r.continue();
    }),
  );
  const row = `.items li[aria-label="${expect.item}"]`;
  await page.locator(`${row} button::-p-text(Edit tags)`).click();
  for (const label of await page.$$(`${row} fieldset label`)) {
    const [name, checked] = await label.evaluate((l) => [l.textContent.trim(), l.querySelector('input').checked]);
    if (checked !== expect.newTags.includes(name)) await label.click();
  }
  await page.locator(`${row} button::-p-text(Save)`).click();
  const held = await sent;
  assert.match(held.headers()['authorization'] ?? '', /^Bearer \S+/, 'setItemTags carries the access token');
  const rowShows = (want) =>
    page.waitForFunction((item, want) => JSON.stringify(shown.rowTags(item)) === JSON.stringify(want), {},
      expect.item, want);
  step('waiting for the optimistic response');
  await rowShows(expect.newTags); // while the server has not seen the change

  step('waiting for the answer and the refetch');
  const answer = page.waitForResponse((r) => r.request() === held);
  const refetch = page.waitForResponse((r) => operation(r.request()) === 'StoreItems');
  await held.continue();
  const saved = await (await answer).json();
  assert.deepEqual(saved.data.setItemTags.item.tags.map((t) => t.name), expect.newTags);
  await refetch;

  step('checking the row and the chips after the refetch');
  await rowShows(expect.newTags);
  step('waiting for the second page to show the change');
  await viewer.waitForFunction((item, want) => JSON.stringify(shown.rowTags(item)) === JSON.stringify(want),
    { polling: 'mutation' }, expect.item, expect.newTags);
  const facets = await graphql(
    `query($store: ID!, $tags: [ID!]) { items(filter: { storeId: $store, tags: { all: $tags } }) {
       tagFacets(first: 20) { count tag { name } } } }`,
    { store: expect.storeId, tags: expect.tagIds },
  );
  const want = facets.items.tagFacets.map((f) => [f.tag.name, f.count]).sort();
  await page
    .waitForFunction((want) => JSON.stringify(Object.entries(shown.counts()).sort()) === JSON.stringify(want), {}, want)
    .catch(async (e) => {
      const got = await page.evaluate(() => shown.counts());
      throw new Error(`chips count ${JSON.stringify(got)}; want ${JSON.stringify(want)}: ${e.message}`);
    });
  if (process.env.BY_HASH === 'true') {
    step('checking that every request named its document by hash');
    for (const body of posted) {
      assert.equal(body.query, undefined, `${body.operationName} sent its document's text`);
      assert.match(body.extensions?.persistedQuery?.sha256Hash ?? '', /^[0-9a-f]{64}$/, `${body.operationName} sent no hash`);
    }
    assert.ok(posted.length >= 4, `the page sent ${posted.length} requests`);
  }
  return {};
});
