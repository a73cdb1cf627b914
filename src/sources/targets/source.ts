// The targets source: runs the configured probes on the shared scheduler and reports what they saw.
//
// Per result:
//  - reached (ok, or crit for a wrong answer — a refused connection included) → ONE observation
//    `{subject, check, status, message, metrics}`: a first-hand result is contact, so the engine marks the subject
//    available and seen in the same call (no separate connectivity signal: one re-evaluation, one store record);
//  - not reached (timeout, DNS, unreachable) → health untouched: connectivity `unavailable` (only when no
//    other target of the same subject reached it on its latest run), and the failed attempt recorded as metadata
//    `probe:<check>` (level info, value = attempt duration in seconds, message = what happened), removed again on
//    the next reached result; and the run itself as an observation with `reached: false` (it only counts the run,
//    for policies with `on: [unreachable]`). So the `vigil_probe_*` families always describe the last answer really
//    received;
//  - `internal` (vigil could not run the probe at all) → the source reports itself down; the subject is untouched.
// Whatever a result makes, it is applied as one batch: one engine call, one re-evaluation, one store record.
import type { TargetConfig, TargetsConfig } from '../../config/targets.js';
import { targetCheck, targetSubject } from '../../config/targets.js';
import type { Observation, SubjectSpec } from '../../engine/types.js';
import { raceAbort } from '../../util/abort.js';
import type { Source, SourceSink } from '../types.js';
import { AgentPool } from './download.js';
import type { FilewriteFs } from './filewrite.js';
import { formatSeconds, type ProbeResult, type RunProbe } from './probe.js';
import { assertProbesUsable, createProbeRunner, type ProbeContext } from './registry.js';
import { Scheduler, type SchedulerOptions, type Timers } from './scheduler.js';

export interface TargetsSourceOptions {
  /** Source instance name (`vigil_source_*{source}`); default `targets`. */
  name?: string;
  timers?: Timers;
  random?: () => number;
  /** Global limit of probes in flight. */
  concurrency?: number;
  /** The iputils ping command; default `ping` from PATH. */
  pingCommand?: string;
  /** Skip the start-up checks that the probes work on this host, i.e. that ping runs (tests of other probe types). */
  skipPingCheck?: boolean;
  filewriteFs?: FilewriteFs;
  /** Reads `ca_file` / `header_files`; default fs.readFileSync. */
  readFile?: (file: string) => string;
  /** Subjects defined elsewhere (config `subjects:`): their spec is left alone, only checks are added. */
  externalSubjects?: ReadonlySet<string>;
  /** Called with every result before it is reported (benchmarks, debug logging). */
  onResult?: (target: TargetConfig, result: ProbeResult) => void;
  onStart?: SchedulerOptions['onStart'];
}

export interface TargetsSource extends Source {
  readonly scheduler: Scheduler;
}

/** Builds the source; throws at once when a probe cannot work here (no ping binary, unreadable ca_file, ...). */
export function createTargetsSource(targets: TargetsConfig, options: TargetsSourceOptions = {}): TargetsSource {
  const name = options.name ?? 'targets';
  const timers = options.timers;
  const agents = new AgentPool();
  const context: ProbeContext = { agents, readFile: options.readFile, pingCommand: options.pingCommand, filewriteFs: options.filewriteFs };
  if (!options.skipPingCheck) assertProbesUsable(targets, context);
  const now = (): number => (timers ? timers.now() : Date.now());
  const runners = new Map<string, RunProbe>(targets.map((target) => [target.name, createProbeRunner(target, context, now)]));

  const schedulerOptions: SchedulerOptions = {};
  if (timers) schedulerOptions.timers = timers;
  if (options.random) schedulerOptions.random = options.random;
  if (options.concurrency !== undefined) schedulerOptions.concurrency = options.concurrency;
  if (options.onStart) schedulerOptions.onStart = options.onStart;
  const scheduler = new Scheduler(schedulerOptions);

  /** Latest "reached" per target, to decide a subject's connectivity from all of its targets. */
  const reachedLatest = new Map<string, boolean>();
  const targetsOfSubject = new Map<string, TargetConfig[]>();
  for (const target of targets) {
    const subject = targetSubject(target);
    targetsOfSubject.set(subject, [...(targetsOfSubject.get(subject) ?? []), target]);
  }
  const withFailureMetadata = new Set<string>();
  const internalFailures = new Set<string>();
  let stopped = true;

  const report = (sink: SourceSink, target: TargetConfig, result: ProbeResult, observedAt: number): void => {
    options.onResult?.(target, result);
    const subject = targetSubject(target);
    const check = targetCheck(target);
    if (result.reason === 'internal') {
      if (internalFailures.size === 0) sink.sourceStatus(name, false, 'internal');
      internalFailures.add(target.name);
      return;
    }
    if (internalFailures.delete(target.name) && internalFailures.size === 0) sink.sourceStatus(name, true);
    reachedLatest.set(target.name, result.reached);
    const metadataKey = `probe:${check}`;
    if (result.reached) {
      const observation: Observation = {
        subject,
        check,
        status: result.status,
        message: result.message,
        observedAt,
        period: target.interval,
        metrics: definedMetrics(result),
        source: name,
      };
      if (target.accuracy !== undefined) observation.timing = { accuracy: target.accuracy };
      sink.observe(observation); // contact: available and last seen, in the same engine call
      if (withFailureMetadata.delete(target.name)) sink.metadata(subject, metadataKey, null);
      return;
    }
    const seconds = result.metrics.duration_seconds ?? 0;
    sink.metadata(subject, metadataKey, {
      level: 'info',
      message: `not reached (${result.reason ?? 'unknown'}) after ${formatSeconds(seconds)}: ${result.message}`,
      value: seconds,
    });
    withFailureMetadata.add(target.name);
    // The run itself, for policies that count unreachable runs (`on: [unreachable]`); not a result.
    sink.observe({ subject, check, status: 'unknown', reached: false, observedAt, period: target.interval, source: name });
    const siblings = targetsOfSubject.get(subject) ?? [];
    if (!siblings.some((other) => other !== target && reachedLatest.get(other.name) === true)) {
      const signal = { subject, state: 'unavailable' as const, source: name };
      sink.connectivity(result.reason ? { ...signal, reason: result.reason } : signal);
    }
  };

  for (const target of targets) {
    const run = runners.get(target.name)!;
    scheduler.add({
      key: target.name,
      interval: target.interval,
      timeout: target.timeout,
      run: async (signal) => {
        if (currentSink && !currentSink.owns(targetSubject(target))) return; // another replica probes it
        const observedAt = now();
        const result = await settleByAbort(run(signal), signal, target);
        // One result, one engine call: the calls below (an unreached result makes up to three) apply as one change.
        if (!stopped && currentSink) currentSink.batch((sink) => report(sink, target, result, observedAt));
      },
    });
  }

  let currentSink: SourceSink | undefined;
  return {
    name,
    scheduler,
    start(sink) {
      currentSink = sink;
      stopped = false;
      for (const spec of subjectSpecs(targets, name)) {
        if (!options.externalSubjects?.has(spec.id)) sink.defineSubject(spec);
      }
      sink.sourceStatus(name, true);
      scheduler.start();
    },
    async stop() {
      stopped = true;
      await scheduler.stop();
      await agents.close();
    },
  };
}

/** One subject per distinct `subject ?? name`, kind `target`, with the labels of all its targets merged in order. */
export function subjectSpecs(targets: TargetsConfig, source = 'targets'): SubjectSpec[] {
  const specs = new Map<string, SubjectSpec>();
  for (const target of targets) {
    const id = targetSubject(target);
    const spec = specs.get(id) ?? { id, kind: 'target', labels: {}, dependsOn: [], source };
    Object.assign(spec.labels, target.labels);
    specs.set(id, spec);
  }
  return [...specs.values()];
}

function definedMetrics(result: ProbeResult): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(result.metrics)) if (typeof value === 'number' && Number.isFinite(value)) metrics[key] = value;
  return metrics;
}

/**
 * A probe that ignores its signal still yields a timeout result once the signal fired. Probes that honour the
 * signal answer within the same turn of the event loop, so the fallback waits one `setImmediate` for their own
 * (more precise) result first.
 */
function settleByAbort(work: Promise<ProbeResult>, signal: AbortSignal, target: TargetConfig): Promise<ProbeResult> {
  const timedOut = (): ProbeResult => ({
    reached: false,
    status: 'crit',
    reason: 'timeout',
    message: `${target.type} probe did not finish within ${formatSeconds(target.timeout / 1000)}`,
    metrics: { duration_seconds: target.timeout / 1000 },
  });
  if (signal.aborted) return work.catch(timedOut);
  const failed = (error: unknown): ProbeResult => ({
    reached: false,
    status: 'crit',
    reason: 'internal',
    message: `${target.type} probe failed: ${error instanceof Error ? error.message.slice(0, 200) : 'error'}`,
    metrics: {},
  });
  return raceAbort(work.catch(failed), signal, () => new Promise<ProbeResult>((resolve) => setImmediate(() => resolve(timedOut()))));
}
