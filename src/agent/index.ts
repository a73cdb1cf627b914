// `vigil agent`: the small reference agent for occasionally connected machines. It holds the websocket to vigil
// (machine id = subject id), sends heartbeats, and, with --check-script, that script's result (and the metadata
// lines it prints) every --check-interval.
import { readFile } from 'node:fs/promises';
import { parseDuration } from '../util/duration.js';
import { AgentConnection, type AgentLogEvent, type AgentTls } from './client.js';
import { runCheckScript } from './check.js';

export interface AgentOptions {
  server: string;
  id: string;
  tokenFile: string;
  checkScript?: string;
  checkInterval?: string;
  checkName?: string;
  heartbeatInterval?: string;
  /** PEM file of the CAs that may sign vigil's certificate; default: the system roots. */
  caFile?: string;
  /** Client certificate and key (PEM files), for a vigil whose web config asks for one. */
  certFile?: string;
  keyFile?: string;
  /** Allow plain ws:// to a non-loopback host. */
  insecure?: boolean;
}

export interface RunningAgent {
  connection: AgentConnection;
  stop(): Promise<void>;
}

export async function startAgent(options: AgentOptions, log: (event: AgentLogEvent) => void = () => undefined): Promise<RunningAgent> {
  const token = (await readFile(options.tokenFile, 'utf8')).trim();
  if (token === '') throw new Error(`token file ${options.tokenFile} is empty`);
  const heartbeatInterval = parseDuration(options.heartbeatInterval ?? '30s');
  const checkInterval = parseDuration(options.checkInterval ?? '30s');
  if (options.checkScript !== undefined && checkInterval <= 0) throw new Error('--check-interval must be positive');
  if ((options.certFile === undefined) !== (options.keyFile === undefined)) throw new Error('--cert-file and --key-file go together');
  const tls: AgentTls = {
    ...(options.caFile !== undefined && { ca: await readFile(options.caFile, 'utf8') }),
    ...(options.certFile !== undefined && { cert: await readFile(options.certFile, 'utf8') }),
    ...(options.keyFile !== undefined && { key: await readFile(options.keyFile, 'utf8') }),
  };
  const connection = new AgentConnection({
    server: options.server,
    id: options.id,
    token,
    heartbeatInterval,
    log,
    tls,
    insecure: options.insecure ?? false,
  });
  connection.start();

  let checkTimer: NodeJS.Timeout | undefined;
  let running = false;
  const script = options.checkScript;
  if (script !== undefined) {
    const check = options.checkName ?? 'script';
    const runOnce = async () => {
      if (running) return; // a slow script is never run twice at once
      running = true;
      try {
        const result = await runCheckScript(script, checkInterval);
        // Metadata first, so the result arrives with the facts it was measured beside.
        for (const entry of result.metadata) connection.send({ type: 'metadata', ...entry });
        connection.send({
          type: 'check',
          check,
          status: result.status,
          message: result.message,
          period: `${checkInterval}ms`,
          observed_at: Date.now() / 1000,
        });
      } finally {
        running = false;
      }
    };
    checkTimer = setInterval(() => void runOnce(), checkInterval);
    void connection.ready().then(runOnce); // a first result as soon as vigil has welcomed us
  }
  return {
    connection,
    async stop() {
      if (checkTimer) clearInterval(checkTimer);
      await connection.stop();
    },
  };
}

/** The CLI entry: runs until SIGTERM/SIGINT; logs one JSON line per connection event to stderr. */
export async function runAgent(options: AgentOptions): Promise<void> {
  const agent = await startAgent(options, (event) =>
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), id: options.id, ...event })}\n`),
  );
  const shutdown = () => void agent.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
