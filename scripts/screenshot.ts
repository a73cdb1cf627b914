// `npm run screenshot`: starts vigil on a small demo config, pushes a few results (one subject failing, one
// unreachable, one in maintenance), loads / in Debian's Chromium and writes docs/status-page.png (the README shows it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVigil } from '../src/serve.js';
import { launchBrowser } from '../test/helpers/browser.js';

const OUT = fileURLToPath(new URL('../../docs/status-page.png', import.meta.url));
const TOKEN = 'screenshot-token';

const CONFIG = `
log: { level: warn }
defaults: { startup_grace: 0s, dependency_lag: 0s }
api:
  tokens: [{ name: demo, token: ${TOKEN}, scopes: [admin] }]
subjects:
  - { id: rack-a, kind: rack }
  - { id: switch-a1, kind: switch, depends_on: [rack-a] }
  - { id: host-01, kind: host, labels: { rack: a }, depends_on: [switch-a1] }
  - { id: host-02, kind: host, labels: { rack: a }, depends_on: [switch-a1] }
  - { id: host-03, kind: host, labels: { rack: a }, depends_on: [switch-a1] }
  - { id: pendulum-1, kind: experiment }
  - { id: pendulum-2, kind: experiment }
maintenance:
  - { id: pendulum-rebuild, match: { subject: pendulum-2 }, reason: "rebuilding the rig", starts_at: "__START__", ends_at: "__END__" }
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-screenshot-'));
  const now = Date.now();
  const config = CONFIG.replace('__START__', new Date(now - 600_000).toISOString()).replace('__END__', new Date(now + 7_200_000).toISOString());
  writeFileSync(join(dir, 'vigil.yml'), config);
  const running = await startVigil({ configPath: join(dir, 'vigil.yml'), listen: '127.0.0.1:0', state: join(dir, 'vigil.db') });
  const base = `http://127.0.0.1:${running.address.port}`;
  const send = async (method: string, path: string, body: unknown) => {
    const response = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  };
  const browser = await launchBrowser();
  try {
    for (const id of ['rack-a', 'switch-a1', 'host-01', 'host-03', 'pendulum-1'])
      await send('PUT', `/api/v1/subjects/${id}/checks/ping`, { status: 'ok', metrics: { duration_seconds: 0.0021 } });
    await send('PUT', '/api/v1/subjects/host-02/checks/disk', { status: 'crit', message: '/var is 98% full (1.2 GiB left)' });
    await send('PUT', '/api/v1/subjects/host-02/checks/ping', { status: 'ok' });
    await send('PUT', '/api/v1/subjects/pendulum-1/connectivity', { state: 'unavailable', reason: 'relay session closed' });
    await send('PUT', '/api/v1/subjects/pendulum-2/checks/stream', { status: 'warn', message: 'video 12 fps (expected 25)' });
    await send('PUT', '/api/v1/subjects/host-03/metadata/FreeDiskSpace', { level: 'warning', message: 'disk below 15%', value: 14 });
    const page = await browser.newPage({ width: 1100, height: 900 });
    await page.goto(`${base}/`);
    await page.locator('#live-status[data-state="live"]').waitFor({ timeout: 5_000 });
    await page.screenshot({ path: OUT, fullPage: true });
    process.stdout.write(`wrote ${OUT}\n`);
  } finally {
    await browser.close();
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
