// The web config's `http_server_config.headers` (exporter-toolkit's list of settable headers) reach every answer, and
// the status page keeps an operator's own Content-Security-Policy instead of replacing it with vigil's default.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startWithWebConfig } from './helpers.js';

test("the status page keeps the web config's Content-Security-Policy; without one it sends vigil's own", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-web-headers-'));
  const operatorPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
  const configured = await startWithWebConfig(
    dir,
    `http_server_config:\n  headers:\n    Content-Security-Policy: "${operatorPolicy}"\n    X-Frame-Options: deny\n`,
  );
  const plain = await startWithWebConfig(dir, '');
  try {
    const page = await fetch(`${configured.base}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), operatorPolicy);
    assert.equal(page.headers.get('x-frame-options'), 'deny');
    const metrics = await fetch(`${configured.base}/metrics`);
    assert.equal(metrics.headers.get('content-security-policy'), operatorPolicy, 'every answer carries the configured headers');

    const own = (await fetch(`${plain.base}/`)).headers.get('content-security-policy');
    assert.ok(own?.includes("script-src 'self'"), `vigil's own policy without a configured one: ${own}`);
  } finally {
    await configured.stop();
    await plain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
