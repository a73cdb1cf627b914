// Badges: well-formed SVG (parsed by Chromium's XML parser), the colour and word of each state, maintenance,
// ETag with 304 on If-None-Match, Cache-Control, and an SVG "not found" badge for an unknown subject or check.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BADGE_COLORS } from '../../src/web/badge.js';
import { startHarness, type Harness } from '../helpers/api-harness.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';

const ADMIN = 'admin-secret-token';

describe('badges', () => {
  let vigil: Harness;
  let browser: TestBrowser;

  const push = async (subject: string, check: string, status: string) => {
    const response = await vigil.request('PUT', `/api/v1/subjects/${subject}/checks/${check}`, { token: ADMIN, body: { status } });
    assert.equal(response.status, 200);
  };

  /** Parses the SVG in Chromium; returns its accessible label and the status rectangle's fill. */
  const parse = async (svg: string) => {
    const page = await browser.newPage();
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      if (doc.querySelector('parsererror')) return { error: doc.querySelector('parsererror')!.textContent };
      const root = doc.documentElement;
      return {
        root: root.localName,
        label: root.getAttribute('aria-label'),
        fill: doc.querySelectorAll('g rect')[1]?.getAttribute('fill'),
        width: Number(root.getAttribute('width')),
      };
    }, svg);
    await page.close();
    return parsed;
  };

  before(async () => {
    vigil = await startHarness();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await vigil?.close();
  });

  it('subject and check badges: valid SVG, colour and word per state', async () => {
    const cases: [string, string, string, string][] = [
      ['ok', 'healthy', BADGE_COLORS.ok, 'ok'],
      ['warn', 'healthy', BADGE_COLORS.ok, 'warn'],
      ['crit', 'unhealthy', BADGE_COLORS.bad, 'crit'],
    ];
    for (const [status, health, subjectColor, checkWord] of cases) {
      await push('badge-host', 'disk', status);
      const subject = await vigil.request('GET', '/badge/badge-host.svg');
      assert.equal(subject.status, 200);
      assert.equal(subject.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
      const parsedSubject = await parse(await subject.text());
      assert.deepEqual(parsedSubject, { root: 'svg', label: `badge-host: ${health}`, fill: subjectColor, width: parsedSubject.width });
      assert.ok(parsedSubject.width! > 40);
      const check = await vigil.request('GET', '/badge/badge-host/disk.svg');
      const parsedCheck = await parse(await check.text());
      const colors: Record<string, string> = { ok: BADGE_COLORS.ok, warn: BADGE_COLORS.warn, crit: BADGE_COLORS.bad };
      assert.equal(parsedCheck.label, `badge-host disk: ${checkWord}`);
      assert.equal(parsedCheck.fill, colors[status]);
    }
  });

  it('ETag and Cache-Control: 304 while the picture is the same, 200 with a new tag once it changes', async () => {
    await push('etag-host', 'disk', 'ok');
    const first = await vigil.request('GET', '/badge/etag-host.svg');
    const etag = first.headers.get('etag')!;
    assert.match(etag, /^"[\w-]+"$/);
    assert.match(first.headers.get('cache-control')!, /max-age=\d+/);
    await push('etag-host', 'disk', 'ok'); // a new result, the same picture
    const again = await vigil.request('GET', '/badge/etag-host.svg', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    await push('etag-host', 'disk', 'crit');
    const changed = await vigil.request('GET', '/badge/etag-host.svg', { headers: { 'if-none-match': etag } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
  });

  it('maintenance: blue "maintenance" while a window covers the subject', async () => {
    await push('mw-host', 'disk', 'crit');
    const now = Date.now();
    const created = await vigil.request('POST', '/api/v1/maintenance', {
      token: ADMIN,
      body: {
        match: { subject: 'mw-host' },
        starts_at: new Date(now - 60_000).toISOString(),
        ends_at: new Date(now + 3_600_000).toISOString(),
        reason: 'disk swap',
      },
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    const parsed = await parse(await (await vigil.request('GET', '/badge/mw-host.svg')).text());
    assert.equal(parsed.label, 'mw-host: maintenance');
    assert.equal(parsed.fill, BADGE_COLORS.info);
    assert.equal((await parse(await (await vigil.request('GET', '/badge/mw-host/disk.svg')).text())).label, 'mw-host disk: maintenance');
    assert.equal((await vigil.request('DELETE', `/api/v1/maintenance/${id}`, { token: ADMIN })).status, 204);
    assert.equal((await parse(await (await vigil.request('GET', '/badge/mw-host.svg')).text())).label, 'mw-host: unhealthy');
  });

  it('unknown subject or check: 404 with a grey "not found" badge, names escaped', async () => {
    const missing = await vigil.request('GET', `/badge/${encodeURIComponent('<nope&>')}.svg`);
    assert.equal(missing.status, 404);
    const parsed = await parse(await missing.text());
    assert.deepEqual([parsed.label, parsed.fill], ['<nope&>: not found', BADGE_COLORS.muted]);
    assert.equal((await vigil.request('GET', '/badge/badge-host/nope.svg')).status, 404);
  });
});
