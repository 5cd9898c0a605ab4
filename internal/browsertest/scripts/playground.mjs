// The playground loads from the server alone, opens with the README's examples in tabs and
// the headers pane showing, and runs the first example against the demo data.
// Env: BASE_URL; EXPECT, JSON: {titles: README titles in order, firstItems: names the first
// example answers with}.
import assert from 'node:assert/strict';
import { baseURL, open, run } from './browser.mjs';

const expect = JSON.parse(process.env.EXPECT);

await run(async (browser) => {
  const { page } = await open(browser, 'playground');
  const start = Date.now();
  await page.goto(baseURL() + '/', { waitUntil: 'load' });
  // Ready: the query editor shows the first example.
  await page.waitForFunction((title) => text('.graphiql-query-editor').includes(title), {}, expect.titles[0]);
  const readyMs = Date.now() - start;

  const tabs = await page.$$eval('.graphiql-tab', (els) => els.length);
  assert.equal(tabs, expect.titles.length + 1, 'a tab per README example, and the sign-in tab');
  const headers = await page.$eval('.graphiql-editor-tool', (el) => ({
    visible: el.checkVisibility(),
    text: text('.graphiql-editor-tool'),
  }));
  assert.ok(headers.visible && headers.text.includes('"Authorization": "Bearer'), `headers pane: ${headers.text}`);

  const answer = page.waitForResponse(
    (r) => r.url().endsWith('/graphql') && !(r.request().postData() ?? '').includes('IntrospectionQuery'),
  );
  await page.click('.graphiql-execute-button');
  const body = await (await answer).json();
  assert.deepEqual(body.data.items.nodes.map((n) => n.name), expect.firstItems);
  await page.waitForFunction((name) => text('.result-window').includes(name), {}, expect.firstItems[0]);
  return { readyMs };
});
