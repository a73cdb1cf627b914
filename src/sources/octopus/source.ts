// The Octopus source: polls the machines (and optionally workers) every interval and reports each through the sink.
// Machines that vanish from Octopus are left as they are: their health check goes stale, the subject stays.
import type { OctopusConfig } from './config.js';
import type { Source, SourceSink } from '../types.js';
import { OctopusError, listMachines, type OctopusMachine } from './client.js';
import { HEALTH_CHECK, SOURCE, mapMachine, machineSubjectId } from './map.js';

export interface OctopusSourceOptions {
  fetch?: typeof fetch;
  warn?: (fields: Record<string, unknown>, message: string) => void;
}

export class OctopusSource implements Source {
  readonly name = SOURCE;
  private timer: NodeJS.Timeout | undefined;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Polls completed, successful or not (tests wait on it). */
  polls = 0;
  /** The space in use: the configured one, or null once the server turned out to have no Spaces. */
  private space: string | null;

  constructor(
    private readonly config: OctopusConfig,
    private readonly options: OctopusSourceOptions = {},
  ) {
    this.space = config.space;
  }

  /** May be called again after stop() (a replica that takes the polling back). */
  start(sink: SourceSink): void {
    this.stopped = false;
    this.abort = new AbortController();
    const loop = () => {
      this.running = this.poll(sink).finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.config.interval);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  /** One poll: read everything first, then report, so a failed page reports nothing half-way. */
  async poll(sink: SourceSink): Promise<void> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.config.timeout)]);
    const client = { url: this.config.url, apiKey: this.config.apiKey, space: this.space, ...(this.options.fetch && { fetch: this.options.fetch }) };
    let machines: OctopusMachine[];
    try {
      try {
        machines = await listMachines(client, 'machines', signal);
      } catch (error) {
        // A server older than Spaces (2019.1) answers 404 for /api/Spaces-1/…: with no space configured, use /api/….
        if (!(this.config.detectSpaces && this.space !== null && error instanceof OctopusError && error.reason === 'http_404')) throw error;
        client.space = null;
        machines = await listMachines(client, 'machines', signal);
        this.space = null;
        this.options.warn?.({ url: this.config.url }, 'octopus: the server has no Spaces, reading /api/machines');
      }
      if (this.config.workers) machines.push(...(await listMachines(client, 'workers', signal)));
    } catch (error) {
      if (this.stopped) return;
      const reason = error instanceof OctopusError ? error.reason : 'error';
      this.options.warn?.({ reason, err: (error as Error).message }, 'octopus poll failed');
      sink.sourceStatus(SOURCE, false, reason);
      this.polls++;
      return;
    }
    if (this.stopped) return;
    sink.sourceStatus(SOURCE, true);
    const seen = new Set<string>();
    for (const machine of machines) {
      const id = machineSubjectId(machine, this.config);
      // Two targets (or two workers) with one name: the first wins, the other is reachable with subject_id: id.
      if (seen.has(id)) continue;
      seen.add(id);
      this.report(sink, machine);
    }
    this.polls++;
  }

  private report(sink: SourceSink, machine: OctopusMachine): void {
    const id = machineSubjectId(machine, this.config);
    // Its current state through the sink: who owns it, and the last known health check.
    const existing = sink.subject(id);
    const check = existing?.checks[HEALTH_CHECK];
    const lastKnown =
      check && !check.dropped ? { status: check.reported, ...(check.message !== undefined && { message: check.message }) } : undefined;
    const report = mapMachine(machine, this.config, lastKnown);
    // A subject someone else owns (the config file, an agent, the API) keeps its spec; Octopus only reports on it.
    if (!existing || existing.spec.source === SOURCE) sink.defineSubject(report.spec);
    if (report.observation) sink.observe(report.observation);
    if (report.connectivity) sink.connectivity(report.connectivity);
    for (const { key, entry } of report.metadata) {
      // Deleting what is not there is a no-op; skip the call for subjects that never had it.
      if (entry === null && existing?.metadata[key] === undefined) continue;
      sink.metadata(id, key, entry);
    }
  }
}
