import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { assertPingUsable, createPingProbe, parsePingOutput, pingArguments, PingUnavailableError } from '../../../src/sources/targets/ping.js';

// Real iputils 20221126 output (Debian 12). The partial-loss sample follows the same printf formats
// ("%g%% packet loss"), which is where Clowder read partial loss as 0%.
const FULL = `PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.
64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.069 ms
64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=0.059 ms
64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=0.044 ms

--- 127.0.0.1 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 2051ms
rtt min/avg/max/mdev = 0.044/0.057/0.069/0.010 ms
`;
const PARTIAL = `PING 10.1.2.3 (10.1.2.3) 56(84) bytes of data.
64 bytes from 10.1.2.3: icmp_seq=1 ttl=63 time=12.4 ms
64 bytes from 10.1.2.3: icmp_seq=3 ttl=63 time=15.1 ms

--- 10.1.2.3 ping statistics ---
3 packets transmitted, 2 received, 33.3333% packet loss, time 2003ms
rtt min/avg/max/mdev = 12.412/13.756/15.100/1.344 ms
`;
const TOTAL_UNREACHABLE = `PING 10.255.255.1 (10.255.255.1) 56(84) bytes of data.
From 21.4.1.25 icmp_seq=1 Destination Port Unreachable
From 21.4.1.25 icmp_seq=2 Destination Port Unreachable

--- 10.255.255.1 ping statistics ---
2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1024ms

`;
const TOTAL_SILENT = `PING 192.0.2.7 (192.0.2.7) 56(84) bytes of data.

--- 192.0.2.7 ping statistics ---
5 packets transmitted, 0 received, 100% packet loss, time 4101ms

`;
const DUPLICATES = `--- 10.0.0.255 ping statistics ---
4 packets transmitted, 4 received, +6 duplicates, 0% packet loss, time 3004ms
rtt min/avg/max/mdev = 0.101/0.250/0.612/0.150 ms, pipe 2
`;
const BUSYBOX = `--- 127.0.0.1 ping statistics ---
2 packets transmitted, 2 packets received, 0% packet loss
round-trip min/avg/max = 0.061/0.070/0.079 ms
`;

function assertClose(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);
}

test('parses full success: no loss and min/avg/max rtt in seconds', () => {
  const stats = parsePingOutput(FULL)!;
  assert.equal(stats.transmitted, 3);
  assert.equal(stats.received, 3);
  assert.equal(stats.lossRatio, 0);
  assertClose(stats.rtt!.min, 0.000044);
  assertClose(stats.rtt!.avg, 0.000057);
  assertClose(stats.rtt!.max, 0.000069);
});

test('parses partial loss exactly from the counts (not 0% as Clowder did)', () => {
  const stats = parsePingOutput(PARTIAL)!;
  assert.equal(stats.lossRatio, 1 / 3);
  assertClose(stats.rtt!.avg, 0.013756);
});

test('parses total loss, with and without ICMP errors, and reports no rtt', () => {
  const unreachable = parsePingOutput(TOTAL_UNREACHABLE)!;
  assert.equal(unreachable.lossRatio, 1);
  assert.equal(unreachable.errors, 2);
  assert.equal(unreachable.rtt, undefined);
  const silent = parsePingOutput(TOTAL_SILENT)!;
  assert.equal(silent.lossRatio, 1);
  assert.equal(silent.errors, 0);
});

test('duplicates do not count as replies; BusyBox output parses too; no summary gives undefined', () => {
  assert.equal(parsePingOutput(DUPLICATES)!.lossRatio, 0);
  assertClose(parsePingOutput(DUPLICATES)!.rtt!.max, 0.000612);
  assertClose(parsePingOutput(BUSYBOX)!.rtt!.min, 0.000061);
  assert.equal(parsePingOutput('ping: unknown host'), undefined);
});

test('arguments: numeric, count, interval and per-reply wait in seconds', () => {
  assert.deepEqual(pingArguments({ host: 'h', count: 3, packet_interval: 200, packet_timeout: 1_500 }), [
    '-n',
    '-c',
    '3',
    '-i',
    '0.2',
    '-W',
    '1.5',
    'h',
  ]);
});

const pingTarget = { host: '127.0.0.1', count: 2, packet_interval: 200, packet_timeout: 1_000, max_loss_ratio: 0.5 };

test('pings 127.0.0.1 with the real iputils ping', async () => {
  try {
    assertPingUsable();
  } catch (error) {
    assert.fail(`${(error as Error).message} — the ping tests need iputils: apt-get install iputils-ping`);
  }
  const result = await createPingProbe(pingTarget, {})(new AbortController().signal);
  assert.equal(result.reached, true, result.message);
  assert.equal(result.status, 'ok');
  assert.equal(result.metrics.icmp_packet_loss_ratio, 0);
  assert.ok(result.metrics.icmp_rtt_avg_seconds! > 0 && result.metrics.icmp_rtt_avg_seconds! < 0.1);
  assert.ok(result.metrics.icmp_rtt_min_seconds! <= result.metrics.icmp_rtt_max_seconds!);
  assert.match(result.message, /2\/2 replies/);
});

// Stand-in ping commands that print what iputils prints in situations a test cannot create on loopback.
const scripts = mkdtempSync(path.join(tmpdir(), 'vigil-ping-'));
after(() => rmSync(scripts, { recursive: true, force: true }));
function fakePing(name: string, stdout: string, stderr: string, exitCode: number): string {
  const file = path.join(scripts, name);
  writeFileSync(file, `#!/bin/sh\ncat <<'OUT'\n${stdout}OUT\necho '${stderr}' >&2\nexit ${exitCode}\n`);
  chmodSync(file, 0o755);
  return file;
}

test('a missing ping binary is a clear error at start, naming the package', () => {
  assert.throws(
    () => assertPingUsable(path.join(scripts, 'no-such-ping')),
    (error: unknown) => {
      assert.ok(error instanceof PingUnavailableError);
      assert.match(error.message, /not found: install iputils-ping/);
      return true;
    },
  );
});

test('no permission to open an ICMP socket is a clear error at start', () => {
  const denied = fakePing('denied', '', 'ping: socket: Operation not permitted', 2);
  assert.throws(() => assertPingUsable(denied), /cap_net_raw.*ping_group_range/);
});

test('partial loss above max_loss_ratio is crit (reached); at or below it is ok', async () => {
  const lossy = fakePing('lossy', PARTIAL, '', 0);
  const strict = await createPingProbe({ ...pingTarget, max_loss_ratio: 0.2 }, { pingCommand: lossy })(new AbortController().signal);
  assert.equal(strict.reached, true);
  assert.equal(strict.status, 'crit');
  assert.equal(strict.reason, 'loss');
  assert.equal(strict.metrics.icmp_packet_loss_ratio, 1 / 3);
  const lenient = await createPingProbe({ ...pingTarget, max_loss_ratio: 0.5 }, { pingCommand: lossy })(new AbortController().signal);
  assert.equal(lenient.status, 'ok');
});

test('total loss is not reached: ICMP errors give "unreachable", silence gives "timeout"', async () => {
  const unreachable = await createPingProbe(pingTarget, { pingCommand: fakePing('unreach', TOTAL_UNREACHABLE, '', 1) })(new AbortController().signal);
  assert.deepEqual([unreachable.reached, unreachable.reason, unreachable.metrics.icmp_packet_loss_ratio], [false, 'unreachable', 1]);
  const silent = await createPingProbe(pingTarget, { pingCommand: fakePing('silent', TOTAL_SILENT, '', 1) })(new AbortController().signal);
  assert.deepEqual([silent.reached, silent.reason], [false, 'timeout']);
});

test('a name that does not resolve gives "dns"; another ping failure is "internal"', async () => {
  const dns = await createPingProbe(pingTarget, { pingCommand: fakePing('dns', '', 'ping: nohost.invalid: Name or service not known', 2) })(
    new AbortController().signal,
  );
  assert.deepEqual([dns.reached, dns.reason], [false, 'dns']);
  const broken = await createPingProbe(pingTarget, { pingCommand: fakePing('broken', '', 'ping: something odd', 2) })(new AbortController().signal);
  assert.equal(broken.reason, 'internal');
});

test('abort kills ping and answers timeout at once', async () => {
  const hanging = path.join(scripts, 'hang');
  writeFileSync(hanging, '#!/bin/sh\nexec sleep 30\n');
  chmodSync(hanging, 0o755);
  const controller = new AbortController();
  const pending = createPingProbe(pingTarget, { pingCommand: hanging })(controller.signal);
  controller.abort();
  const result = await pending;
  assert.deepEqual([result.reached, result.reason], [false, 'timeout']);
});
