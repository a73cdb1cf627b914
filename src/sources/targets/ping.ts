// ping: ICMP echo through the system's iputils `ping` (it holds cap_net_raw or uses ping sockets, so vigil
// needs no privileges). Loss comes from the transmitted/received counts, so partial loss is exact — unlike
// Clowder, which read partial loss as 0% on iputils output.
import { spawn, spawnSync } from 'node:child_process';
import type { PingTarget } from '../../config/targets.js';
import { formatSeconds, secondsSince, unreached, type ProbeFactory, type ProbeResult } from './probe.js';

export interface PingStatistics {
  transmitted: number;
  received: number;
  /** ICMP errors (destination unreachable, ...) counted by ping. */
  errors: number;
  lossRatio: number;
  /** Round-trip times in seconds; absent when nothing came back. */
  rtt?: { min: number; avg: number; max: number };
}

const STATS_RE = /(\d+) packets transmitted, (\d+) (?:packets )?received(.*)$/m;
const ERRORS_RE = /\+(\d+) errors/;
const RTT_RE = /(?:rtt|round-trip) min\/avg\/max(?:\/(?:mdev|stddev))? = ([\d.]+)\/([\d.]+)\/([\d.]+)(?:\/[\d.]+)? ms/;

/** Parses the summary of iputils (and BusyBox) ping output; undefined when there is no summary. */
export function parsePingOutput(output: string): PingStatistics | undefined {
  const stats = STATS_RE.exec(output);
  if (!stats) return undefined;
  const transmitted = Number(stats[1]);
  const received = Number(stats[2]);
  const errors = Number(ERRORS_RE.exec(stats[3] ?? '')?.[1] ?? 0);
  const lossRatio = transmitted === 0 ? 1 : Math.min(1, Math.max(0, (transmitted - received) / transmitted));
  const result: PingStatistics = { transmitted, received, errors, lossRatio };
  const rtt = RTT_RE.exec(output);
  if (rtt && received > 0) {
    result.rtt = { min: Number(rtt[1]) / 1000, avg: Number(rtt[2]) / 1000, max: Number(rtt[3]) / 1000 };
  }
  return result;
}

/** Command-line arguments for one probe: numeric output, COUNT echoes, per-reply wait. */
export function pingArguments(target: Pick<PingTarget, 'host' | 'count' | 'packet_interval' | 'packet_timeout'>): string[] {
  return ['-n', '-c', String(target.count), '-i', String(target.packet_interval / 1000), '-W', String(target.packet_timeout / 1000), target.host];
}

const DNS_FAILURE_RE = /Name or service not known|Temporary failure in name resolution|No address associated|nodename nor servname|unknown host/i;
const PERMISSION_RE = /Operation not permitted|Permission denied|socket: /i;
/** Output kept per run: the summary is at the end, so keep the tail. */
const MAX_OUTPUT = 64 * 1024;

export class PingUnavailableError extends Error {}

/**
 * Fails fast when ping cannot work here: a missing binary or no permission to open an ICMP socket.
 * Called once when a source with ping targets is created, so a misconfigured host says so at start.
 */
export function assertPingUsable(command = 'ping'): void {
  const run = spawnSync(command, ['-n', '-c', '1', '-W', '1', '127.0.0.1'], { encoding: 'utf8', timeout: 5_000 });
  const code = (run.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    throw new PingUnavailableError(
      `ping targets need the "${command}" command, which was not found: install iputils-ping (apt-get install iputils-ping)`,
    );
  }
  if (run.error) throw new PingUnavailableError(`ping targets: could not run "${command}": ${code ?? run.error.message}`);
  if (run.status === 2 && PERMISSION_RE.test(run.stderr)) {
    throw new PingUnavailableError(
      `ping targets: "${command}" may not open an ICMP socket (${run.stderr.trim().split('\n')[0]}); ` +
        'give it cap_net_raw (setcap cap_net_raw+ep $(command -v ping)) or allow ping sockets (sysctl net.ipv4.ping_group_range="0 2147483647")',
    );
  }
}

type PingProbeTarget = Pick<PingTarget, 'host' | 'count' | 'packet_interval' | 'packet_timeout' | 'max_loss_ratio'>;

/** Runs the iputils `ping` command (`pingCommand`, default `ping` from PATH) once per run. */
export const createPingProbe: ProbeFactory<PingProbeTarget, { pingCommand?: string | undefined }> = (target, { pingCommand: command = 'ping' }) => {
  return (signal) =>
    new Promise<ProbeResult>((resolve) => {
      const startedAt = performance.now();
      let output = '';
      let errors = '';
      let settled = false;
      const done = (result: ProbeResult): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const child = spawn(command, pingArguments(target), { stdio: ['ignore', 'pipe', 'pipe'] });
      const onAbort = (): void => {
        child.kill('SIGKILL');
        const seconds = secondsSince(startedAt);
        done(unreached('timeout', `ping ${target.host}: no summary within ${formatSeconds(seconds)}`, { duration_seconds: seconds }));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output = (output + chunk).slice(-MAX_OUTPUT);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        errors = (errors + chunk).slice(-MAX_OUTPUT);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        done(unreached('internal', `ping could not be started: ${error.code ?? error.message}`, { duration_seconds: secondsSince(startedAt) }));
      });
      child.on('close', (exitCode) => {
        done(interpret(target, output, errors, exitCode, secondsSince(startedAt)));
      });
    });
};

function interpret(
  target: Pick<PingTarget, 'host' | 'max_loss_ratio'>,
  output: string,
  errors: string,
  exitCode: number | null,
  seconds: number,
): ProbeResult {
  const stats = parsePingOutput(output);
  if (!stats) {
    if (DNS_FAILURE_RE.test(errors)) return unreached('dns', `ping ${target.host}: host name did not resolve`, { duration_seconds: seconds });
    const detail = errors.trim().split('\n')[0]?.slice(0, 200) || `exit code ${exitCode}`;
    return unreached('internal', `ping ${target.host} failed: ${detail}`, { duration_seconds: seconds });
  }
  const metrics: ProbeResult['metrics'] = { duration_seconds: seconds, icmp_packet_loss_ratio: stats.lossRatio };
  if (stats.rtt) {
    metrics.icmp_rtt_min_seconds = stats.rtt.min;
    metrics.icmp_rtt_avg_seconds = stats.rtt.avg;
    metrics.icmp_rtt_max_seconds = stats.rtt.max;
  }
  const counts = `${stats.received}/${stats.transmitted} replies`;
  if (stats.received === 0) {
    const reason = stats.errors > 0 ? 'unreachable' : 'timeout';
    return unreached(reason, `ping ${target.host}: ${counts}${stats.errors > 0 ? `, ${stats.errors} ICMP errors` : ''}`, metrics);
  }
  const rtt = stats.rtt ? `, rtt avg ${formatSeconds(stats.rtt.avg)}` : '';
  const loss = `${Math.round(stats.lossRatio * 1000) / 10}% loss`;
  if (stats.lossRatio > target.max_loss_ratio) {
    return {
      reached: true,
      status: 'crit',
      reason: 'loss',
      message: `ping ${target.host}: ${counts}, ${loss} (above ${target.max_loss_ratio * 100}%)${rtt}`,
      metrics,
    };
  }
  return { reached: true, status: 'ok', message: `ping ${target.host}: ${counts}, ${loss}${rtt}`, metrics };
}
