// The status page in a real browser (Debian's Chromium): what a person sees, live updates without a reload,
// the subject page, filters with the back button, escaping of hostile names and messages, phone width,
// keyboard and dark mode. Each test saves a screenshot under test-results/status-page/.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startHarness, type Harness } from '../helpers/api-harness.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';

const ADMIN = 'admin-secret-token';
const SHOTS = 'status-page';
/** A subject id may not hold whitespace, so the id uses the slash form of the same attack; a label holds the spaced one. */
const XSS_ID = '<img/src=x/onerror=alert(1)>';
const XSS_LABEL = '<img src=x onerror=alert(1)>';
const XSS_MESSAGE = '<script>window.__xss = 1; alert(2)</script> disk on fire';

describe('status page in Chromium', () => {
  let vigil: Harness;
  let browser: TestBrowser;
  const dialogs: string[] = [];

  const put = async (path: string, body: unknown) => {
    const response = await vigil.request('PUT', path, { token: ADMIN, body });
    assert.ok(response.ok, `${path}: ${response.status} ${await response.text()}`);
  };
  const check = (subject: string, name: string, status: string, message?: string) =>
    put(`/api/v1/subjects/${encodeURIComponent(subject)}/checks/${name}`, { status, ...(message && { message }) });
  const open = async (path: string, options?: Parameters<TestBrowser['newPage']>[0]): Promise<Page> => {
    const page = await browser.newPage(options);
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(vigil.base + path);
    return page;
  };
  const waitLive = (page: Page) => page.locator('#live-status[data-state="live"]').waitFor({ timeout: 5_000 });

  before(async () => {
    vigil = await startHarness();
    await put('/api/v1/subjects/rack-1', { kind: 'rack' });
    for (const id of ['web-1', 'web-2', 'web-3'])
      await put(`/api/v1/subjects/${id}`, { kind: 'host', labels: { rack: 'r1' }, depends_on: [{ id: 'rack-1', lag: 0 }] });
    await put('/api/v1/subjects/db-1', { kind: 'database', labels: { rack: 'r2' } });
    await check('rack-1', 'power', 'ok');
    await check('web-1', 'http', 'ok');
    await check('web-2', 'http', 'crit', 'HTTP 503 from /healthz');
    await check('web-3', 'http', 'ok');
    await check('db-1', 'replication', 'ok');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await vigil?.close();
  });

  it('shows the counts, the failing subject first in its group, and its message', async () => {
    const page = await open('/');
    assert.equal(await page.title(), 'Status · vigil');
    const unhealthy = page.locator('.count', { hasText: 'unhealthy' });
    assert.equal((await unhealthy.locator('.n').textContent())?.trim(), '1');
    assert.equal((await page.locator('.count', { hasText: 'subjects' }).locator('.n').textContent())?.trim(), '5');
    // The group holding a broken subject comes first, the broken subject first in it, its state written out.
    assert.equal((await page.locator('.group h3').first().textContent())?.split(' ')[0], 'host');
    const first = page.locator('li.subject').first();
    assert.equal(await first.locator('a.id').textContent(), 'web-2');
    assert.equal(await first.locator('.pill').first().textContent(), 'unhealthy');
    assert.match((await first.locator('.failing').textContent()) ?? '', /crit\s+http: HTTP 503 from \/healthz/);
    assert.match((await page.locator('.summary').textContent()) ?? '', /Something is broken/);
    await browser.screenshot(page, SHOTS, 'counts-and-broken-first');
    await page.close();
  });

  it('updates itself from the event stream within 2 s, without reloading', async () => {
    const page = await open('/');
    await waitLive(page);
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const row = page.locator('li.subject[data-subject="web-3"]');
    assert.equal(await row.locator('.pill').first().textContent(), 'healthy');
    const pushedAt = Date.now();
    await check('web-3', 'http', 'crit', 'connection refused');
    await row.locator('.pill', { hasText: 'unhealthy' }).waitFor({ timeout: 2_000 });
    const seenAfter = Date.now() - pushedAt;
    assert.ok(seenAfter < 2_000, `change visible after ${seenAfter} ms`);
    assert.match((await row.locator('.failing').textContent()) ?? '', /connection refused/);
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'the page was not reloaded');
    await browser.screenshot(page, SHOTS, 'live-update');
    await check('web-3', 'http', 'ok');
    await page.close();
  });

  it('reconnects a dropped stream with Last-Event-ID and catches up', async () => {
    const page = await open('/');
    await waitLive(page);
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const resumedFrom: string[] = [];
    const watch = (request: IncomingMessage) => {
      const id = request.headers['last-event-id'];
      // express has already rewritten url below its /api/v1 mount
      if (request.url?.includes('/events/stream') && typeof id === 'string') resumedFrom.push(id);
    };
    vigil.server.on('request', watch);
    const before = vigil.vigil.committedSeq;
    vigil.web.streams.closeAll(); // the server drops every stream, as a restart or a proxy timeout would
    await check('db-1', 'replication', 'crit', 'replica lagging 900 s');
    await page.locator('li.subject[data-subject="db-1"] .pill', { hasText: 'unhealthy' }).waitFor({ timeout: 5_000 });
    await waitLive(page);
    vigil.server.off('request', watch);
    assert.ok(resumedFrom.length >= 1, 'the browser reconnected with Last-Event-ID');
    assert.ok(Number(resumedFrom[0]) <= before, `resumed after ${resumedFrom[0]}, at or before the drop (${before}): nothing skipped`);
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true);
    await browser.screenshot(page, SHOTS, 'reconnected');
    await check('db-1', 'replication', 'ok');
    await page.close();
  });

  it('links to the subject page: checks, connectivity, dependencies both ways, timeline', async () => {
    const page = await open('/');
    await page.locator('a.id', { hasText: 'web-2' }).click();
    await page.waitForURL(`${vigil.base}/subjects/web-2`);
    assert.equal(await page.locator('h1').textContent(), 'web-2');
    const row = page.locator('table.checks tbody tr', { hasText: 'http' });
    assert.match((await row.textContent()) ?? '', /crit/);
    assert.match((await row.textContent()) ?? '', /HTTP 503 from \/healthz/);
    assert.match((await row.locator('td').nth(1).textContent()) ?? '', /yes/, 'counted');
    assert.match((await page.locator('.facts').textContent()) ?? '', /connectivity\s*available since/);
    assert.match((await page.locator('.timeline').textContent()) ?? '', /health\s+\S+\s*→\s*unhealthy/);
    await browser.screenshot(page, SHOTS, 'subject-page');
    await page.getByRole('link', { name: 'rack-1' }).click();
    await page.waitForURL(`${vigil.base}/subjects/rack-1`);
    const dependents = page.locator('h3', { hasText: 'Depended on by' }).locator('..');
    for (const id of ['web-1', 'web-2', 'web-3']) assert.equal(await dependents.getByRole('link', { name: id }).count(), 1, id);
    await browser.screenshot(page, SHOTS, 'dependency-page');
    await page.close();
  });

  it('filters through the URL, and the back button returns to the full list', async () => {
    const page = await open('/');
    await page.getByLabel('State').selectOption('unhealthy');
    await page.getByLabel('Search').fill('web');
    await page.getByLabel('Search').press('Enter');
    await page.waitForURL(/state=unhealthy/);
    assert.match(page.url(), /q=web/);
    assert.deepEqual(await page.locator('li.subject a.id').allTextContents(), ['web-2']);
    assert.match((await page.locator('#subjects-h').textContent()) ?? '', /1 of 5 subjects match/);
    await browser.screenshot(page, SHOTS, 'filtered');
    // The filtered view is shareable: a fresh page on the same URL shows the same.
    const shared = await open(new URL(page.url()).pathname + new URL(page.url()).search);
    assert.deepEqual(await shared.locator('li.subject a.id').allTextContents(), ['web-2']);
    await shared.close();
    await page.goBack();
    await page.waitForURL(`${vigil.base}/`);
    assert.equal(await page.locator('li.subject').count(), 5);
    await page.getByRole('link', { name: /in maintenance/ }).waitFor();
    await page.close();
  });

  it('renders a hostile subject id, label and message as text: no dialog, no script, no image', async () => {
    await put(`/api/v1/subjects/${encodeURIComponent(XSS_ID)}`, { kind: 'host', labels: { name: XSS_LABEL } });
    await check(XSS_ID, 'disk', 'crit', XSS_MESSAGE);
    await vigil.request('PUT', `/api/v1/subjects/${encodeURIComponent(XSS_ID)}/metadata/note`, {
      token: ADMIN,
      body: { level: 'error', message: '<b onmouseover=alert(3)>bold</b>' },
    });
    const page = await open(`/?q=${encodeURIComponent('<img')}`);
    const response = await page.reload();
    assert.match(response!.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    const row = page.locator('li.subject').first();
    assert.equal(await row.locator('a.id').textContent(), XSS_ID);
    assert.match((await row.locator('.failing').textContent()) ?? '', /<script>window\.__xss = 1; alert\(2\)<\/script> disk on fire/);
    await browser.screenshot(page, SHOTS, 'xss-status');
    await row.locator('a.id').click();
    await page.waitForURL(/\/subjects\//);
    assert.equal(await page.locator('h1').textContent(), XSS_ID);
    assert.match((await page.locator('.facts').textContent()) ?? '', /name=<img src=x onerror=alert\(1\)>/);
    assert.match((await page.locator('table.checks').textContent()) ?? '', /<script>window\.__xss/);
    assert.match((await page.locator('#meta-h').locator('..').textContent()) ?? '', /<b onmouseover=alert\(3\)>bold<\/b>/);
    await page.waitForTimeout(300); // give an injected handler every chance to run
    assert.equal(await page.locator('img[src="x"], script:not([src]), b[onmouseover]').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.deepEqual(dialogs, []);
    await browser.screenshot(page, SHOTS, 'xss-subject');
    await page.close();
  });

  it('reads on a 375 px phone, in dark mode, with the keyboard alone', async () => {
    const page = await open('/', { width: 375, height: 800, colorScheme: 'dark' });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'no sideways scrolling at 375 px');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(18, 20, 22)', 'dark background under prefers-color-scheme: dark');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    // Tab to the first subject link and follow it with Enter.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.classList.contains('id'))) break;
    }
    const target = await page.evaluate(() => document.activeElement?.textContent);
    assert.ok(target, 'a subject link is reachable with Tab');
    await browser.screenshot(page, SHOTS, 'phone-dark');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/subjects\//);
    assert.equal(await page.locator('h1').textContent(), target);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'subject page: no sideways scrolling');
    await browser.screenshot(page, SHOTS, 'phone-dark-subject');
    await page.close();
  });

  it('shows a subject in a maintenance window as "maintenance", the window, and the sources with their errors', async () => {
    const now = Date.now();
    const created = await vigil.request('POST', '/api/v1/maintenance', {
      token: ADMIN,
      body: {
        match: { subject: 'web-1' },
        starts_at: new Date(now - 1_000).toISOString(),
        ends_at: new Date(now + 3_600_000).toISOString(),
        reason: 'replacing the PSU',
      },
    });
    assert.equal(created.status, 201);
    vigil.vigil.sink().sourceStatus('targets', false, 'connect ECONNREFUSED 10.0.0.7:443');
    const page = await open('/');
    const row = page.locator('li.subject[data-subject="web-1"]');
    assert.deepEqual(await row.locator('.pill').allTextContents(), ['healthy', 'maintenance', 'available']);
    assert.match((await page.locator('.windows').textContent()) ?? '', /in progress\s+replacing the PSU.*subject=web-1.*ends in 60 min/s);
    assert.equal((await page.locator('.count', { hasText: 'in maintenance' }).locator('.n').textContent())?.trim(), '1');
    const sources = (await page.locator('.sources').textContent()) ?? '';
    assert.match(sources, /down\s+targets/);
    assert.match(sources, /connect ECONNREFUSED 10\.0\.0\.7:443/);
    await browser.screenshot(page, SHOTS, 'maintenance-and-sources');
    await page.locator('a.id', { hasText: 'web-1' }).click();
    await page.waitForURL(`${vigil.base}/subjects/web-1`);
    assert.match((await page.locator('.summary').textContent()) ?? '', /maintenance\s+replacing the PSU/);
    await page.close();
  });
});
