import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnServe } from '../helpers/serve-process.js';

const TOKEN = 'serve-test-token-0123456789';

describe('vigil serve as a process', () => {
  let dir: string;
  let config: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-serve-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    config = join(dir, 'vigil.yml');
    writeFileSync(
      config,
      [
        'listen: 127.0.0.1:0',
        `state: ${join(dir, 'state.db')}`,
        'store: { flush_interval: 20ms }',
        'api:',
        '  tokens:',
        '    - { name: tester, token_file: token, scopes: [observe, admin] }',
        'defaults: { startup_grace: 0s }',
        'subjects:',
        '  - { id: sw1, kind: switch }',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const push = (base: string, subject: string, status: string) =>
    fetch(`${base}/api/v1/subjects/${subject}/checks/probe`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status, message: `${status} now` }),
    });

  it('loses nothing acknowledged when killed with SIGKILL, and stops cleanly on SIGTERM', async () => {
    const first = await spawnServe(['--config', config]);
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await push(first.base, `host-${i}`, i % 2 ? 'crit' : 'ok');
      assert.equal(res.status, 200, first.logs());
      acked.push(`host-${i}`);
    }
    const eventsBefore = (await (await fetch(`${first.base}/api/v1/events?after=0`)).json()) as { last_seq: number };
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');

    const second = await spawnServe(['--config', config]);
    for (const [i, subject] of acked.entries()) {
      const res = await fetch(`${second.base}/api/v1/subjects/${subject}/health`);
      assert.equal(res.status, 200, `${subject} survived the kill`);
      const view = (await res.json()) as { health: string; checks: Record<string, { message: string }> };
      assert.equal(view.health, i % 2 ? 'unhealthy' : 'healthy');
      assert.equal(view.checks['probe']?.message, i % 2 ? 'crit now' : 'ok now');
    }
    const eventsAfter = (await (await fetch(`${second.base}/api/v1/events?after=0&limit=1000`)).json()) as { last_seq: number };
    assert.ok(eventsAfter.last_seq >= eventsBefore.last_seq, 'event sequence never goes backwards');
    const metrics = await (await fetch(`${second.base}/metrics`)).text();
    assert.match(metrics, /^vigil_subject_health\{subject="host-1",kind="push",state="unhealthy"\} 1$/m);
    assert.doesNotMatch(metrics + second.logs(), new RegExp(TOKEN));

    second.child.kill('SIGTERM');
    const stopped = await second.exited;
    assert.equal(stopped.code, 0, second.logs());
    assert.match(second.logs(), /state flushed/);
  });

  it('runs the embedded default with no config and shows itself healthy at once', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'vigil-default-'));
    const running = await spawnServe(['--listen', '127.0.0.1:0'], { cwd });
    try {
      const metrics = await (await fetch(`${running.base}/metrics`)).text();
      assert.match(metrics, /^vigil_subject_health\{subject="vigil",kind="exporter",state="healthy"\} 1$/m);
      assert.match(metrics, /^vigil_subject_connectivity\{subject="vigil",kind="exporter"\} 1$/m);
      assert.match(metrics, /^process_cpu_seconds_total /m);
      // The whole body a real process serves, extensions and prom-client defaults included, lints clean.
      assert.ok(existsSync('/usr/bin/promtool'), "promtool not found: install Debian's prometheus package: apt-get install prometheus");
      const lint = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8', timeout: 30_000 });
      assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '', 'promtool findings');
      assert.equal(lint.status, 0);
      assert.match(running.logs(), /<embedded>/);
      // The embedded default probes vigil itself: its port, its state directory and its /-/healthy.
      assert.match(running.logs(), /"extensions":\["targets"\]/);
    } finally {
      running.child.kill('SIGTERM');
      assert.equal((await running.exited).code, 0);
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
