// The reference agent: reconnects with backoff after refusals and losses, sends heartbeats and check-script results;
// `vigil agent` as a process against a real vigil.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentConnection, connectUrl, type AgentLogEvent } from '../../../src/agent/client.js';
import { runCheckScript } from '../../../src/agent/check.js';
import { CLI } from '../../helpers/serve-process.js';
import { untilTurns } from '../../helpers/until.js';
import { AGENT_TOKEN, startAgentHarness } from './harness.js';

test('connectUrl maps http(s) to ws(s) and keeps a path prefix', () => {
  assert.equal(connectUrl('http://127.0.0.1:9977', 'm 1'), 'ws://127.0.0.1:9977/api/v1/agents/connect?id=m+1');
  assert.equal(connectUrl('https://vigil.example.org/monitor/', 'm1'), 'wss://vigil.example.org/monitor/api/v1/agents/connect?id=m1');
  assert.throws(() => connectUrl('ftp://x', 'm1'), /http\(s\)/);
});

test('the connection retries after a refusal and after a loss, resetting its backoff once welcomed', async (t) => {
  // A fake vigil: refuses the first attempt with 503, then accepts, welcomes, and drops the first accepted connection.
  let attempts = 0;
  const sockets: WebSocket[] = [];
  const heartbeats: number[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => {
    attempts++;
    if (req.headers.authorization !== 'Bearer t0ken') return socket.destroy();
    if (attempts === 1) {
      const body = JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'full' });
      return socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on('message', (data) => {
        if (JSON.parse(data.toString()).type === 'heartbeat') heartbeats.push(sockets.indexOf(ws));
      });
      ws.send(JSON.stringify({ type: 'welcome', subject: 'm1', kind: 'machine', ping_interval_seconds: 30 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const events: AgentLogEvent[] = [];
  const connection = new AgentConnection({
    server: `http://127.0.0.1:${port}`,
    id: 'm1',
    token: 't0ken',
    heartbeatInterval: 5,
    minBackoff: 1,
    maxBackoff: 4,
    random: () => 0,
    log: (e) => events.push(e),
  });
  t.after(async () => {
    await connection.stop();
    for (const socket of sockets) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  connection.start();
  await connection.ready();
  await untilTurns(() => heartbeats.includes(0), 'a heartbeat on the first connection');
  sockets[0]!.terminate();
  await untilTurns(() => connection.connects === 2, 'reconnected');
  await untilTurns(() => heartbeats.includes(1), 'heartbeats resume on the new connection');
  assert.deepEqual(
    events.map((e) => e.event),
    ['refused', 'connected', 'disconnected', 'connected'],
  );
  assert.deepEqual(events[0], { event: 'refused', status: 503, detail: 'full', retryInMs: 1 });
  assert.equal((events[2] as { retryInMs: number }).retryInMs, 1, 'the welcome reset the backoff');
  assert.equal(attempts, 3);
});

test('check scripts: exit 0/1/2/other → ok/warn/crit/unknown, first output line as message, timeout → unknown', async (t) => {
  const h = await startAgentHarness('agents: {}');
  t.after(() => h.close());
  const script = (name: string, body: string) => {
    const path = join(h.dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  assert.deepEqual(await runCheckScript(script('ok.sh', 'echo "all good"; echo second'), 5_000), { status: 'ok', message: 'all good', metadata: [] });
  assert.deepEqual(await runCheckScript(script('warn.sh', 'echo "disk 91% full"; exit 1'), 5_000), {
    status: 'warn',
    message: 'disk 91% full',
    metadata: [],
  });
  assert.deepEqual(await runCheckScript(script('crit.sh', 'echo "no space" >&2; exit 2'), 5_000), {
    status: 'crit',
    message: 'no space',
    metadata: [],
  });
  assert.deepEqual(await runCheckScript(script('odd.sh', 'exit 7'), 5_000), { status: 'unknown', message: 'check script exited 7', metadata: [] });
  assert.equal((await runCheckScript(script('slow.sh', 'exec sleep 5'), 50)).status, 'unknown');
  assert.match((await runCheckScript(join(h.dir, 'missing.sh'), 1_000)).message, /could not run: ENOENT/);
});

test('`vigil agent` as a process: connects, sends its script result, and on SIGTERM leaves a pending disconnect', async (t) => {
  const h = await startAgentHarness('agents: {}');
  t.after(() => h.close());
  writeFileSync(join(h.dir, 'token'), `${AGENT_TOKEN}\n`);
  const script = join(h.dir, 'check.sh');
  writeFileSync(
    script,
    '#!/bin/sh\necho "metadata: OperatingSystem=Debian GNU/Linux 12"\necho "load 0.4"\necho "metadata[warning]: DiskReallocatedSectors=12"\n',
  );
  chmodSync(script, 0o755);
  const child = spawn(
    process.execPath,
    [
      CLI,
      'agent',
      '--server',
      h.base,
      '--id',
      'edge-7',
      '--token-file',
      join(h.dir, 'token'),
      '--check-script',
      script,
      '--check-interval',
      '1h',
      '--check-name',
      'load',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));

  await untilTurns(
    () => h.vigil.state.subjects.get('edge-7')?.checks['load'] !== undefined,
    `the agent's check result (agent said: ${stderr})`,
    10_000,
  );
  const edge = h.vigil.state.subjects.get('edge-7')!;
  assert.equal(edge.connectivity, 'available');
  assert.equal(edge.checks['load']!.reported, 'ok');
  assert.equal(edge.checks['load']!.message, 'load 0.4');
  assert.equal(edge.checks['load']!.period, 3_600_000);
  // Metadata lines of the script are sent first, never taken as the message.
  assert.deepEqual({ ...edge.metadata['OperatingSystem'], updatedAt: 0 }, { level: 'info', message: 'Debian GNU/Linux 12', updatedAt: 0 });
  assert.deepEqual({ ...edge.metadata['DiskReallocatedSectors'], updatedAt: 0 }, { level: 'warning', message: '12', value: 12, updatedAt: 0 });
  assert.equal(edge.warnings, 1);
  assert.match(stderr, /"event":"connected","subject":"edge-7"/);
  assert.doesNotMatch(stderr, new RegExp(AGENT_TOKEN));

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  await untilTurns(() => edge.pendingUnavailable !== undefined, 'pending disconnect');
  assert.equal(edge.connectivity, 'available', 'unavailable only after the grace');
});
