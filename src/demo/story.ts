// The demo's scripted story: what the simulated fleet does at each moment of a cycle that repeats. A pure function
// of the time since the cycle began, so a test can ask what should be happening and the driver only applies it.
//
// The episodes, one after another (some overlap), each `gap` apart:
//   web       the web target answers slowly, then fails (HTTP 503), then recovers          lasts fail/2 + fail
//   switch    the switch stops answering; a tick and a half later its three hosts do too  lasts fail
//   heartbeat the backup job's pushed heartbeat stops                                      lasts silence
//   machine   a lab PC's agent disconnects, and reconnects                                 lasts silence
//   video     an experiment's video stream goes quiet                                      lasts fail
// `fail` stays below the built-in alerts' 1m, so a failure is one policy alert; `silence` goes past it, because a
// heartbeat that stops and a machine that goes away are told by the built-in VigilCheckStale and
// VigilSubjectUnavailable alerts, which wait 1m.
import { formatDuration, parseDuration } from '../util/duration.js';

export interface StoryTiming {
  /** Probe interval, push period and agent heartbeat: the rhythm every simulated check runs on. */
  tickMs: number;
  /** How long a failure lasts (web, switch, video). */
  failMs: number;
  /** How long the heartbeat stops and the machine stays away. */
  silenceMs: number;
  /** Time between the starts of two episodes. */
  gapMs: number;
}

export const DEFAULT_TIMING: StoryTiming = { tickMs: 5_000, failMs: 40_000, silenceMs: 90_000, gapMs: 60_000 };

export type WebMode = 'ok' | 'slow' | 'failing';

/** How long the web target takes to answer while slow: half a tick, within the probe's timeout (one tick). */
export const slowAnswerMs = (timing: StoryTiming): number => timing.tickMs / 2;

/** What the simulated fleet does at one moment. */
export interface DemoScene {
  web: WebMode;
  switchUp: boolean;
  hostsUp: boolean;
  heartbeat: boolean;
  machineConnected: boolean;
  videoQuiet: boolean;
}

export type EpisodeName = 'web' | 'switch' | 'heartbeat' | 'machine' | 'video';

/** One scripted outage: from `start` to `end` (ms since the cycle began). */
export interface Episode {
  name: EpisodeName;
  start: number;
  end: number;
}

const ORDER: EpisodeName[] = ['web', 'switch', 'heartbeat', 'machine', 'video'];

export function episodes(timing: StoryTiming): Episode[] {
  const { failMs, silenceMs, gapMs } = timing;
  const length: Record<EpisodeName, number> = { web: failMs / 2 + failMs, switch: failMs, heartbeat: silenceMs, machine: silenceMs, video: failMs };
  return ORDER.map((name, index) => {
    const start = (index + 0.5) * gapMs;
    return { name, start, end: start + length[name] };
  });
}

/** Length of one cycle: the last episode's end plus half a gap of calm. */
export function cycleMs(timing: StoryTiming): number {
  return Math.max(...episodes(timing).map((episode) => episode.end)) + timing.gapMs / 2;
}

/** The scene `elapsedMs` after the story started (it repeats every cycleMs). */
export function sceneAt(elapsedMs: number, timing: StoryTiming): DemoScene {
  const t = elapsedMs % cycleMs(timing);
  const during = (name: EpisodeName, from = 0): boolean => {
    const episode = episodes(timing).find((e) => e.name === name)!;
    return t >= episode.start + from && t < episode.end;
  };
  const web: WebMode = during('web', timing.failMs / 2) ? 'failing' : during('web') ? 'slow' : 'ok';
  return {
    web,
    switchUp: !during('switch'),
    // The hosts stop answering after their switch was seen down, as they would behind a dead switch.
    hostsUp: !during('switch', 1.5 * timing.tickMs),
    heartbeat: !during('heartbeat'),
    machineConnected: !during('machine'),
    videoQuiet: during('video'),
  };
}

const TIMING_KEYS: Record<string, keyof StoryTiming> = { tick: 'tickMs', fail: 'failMs', silence: 'silenceMs', gap: 'gapMs' };

/** Parses `tick=1s,fail=15s,silence=75s,gap=12s` (any subset; the rest default). Throws on anything else. */
export function parseTiming(spec: string | undefined): StoryTiming {
  const timing = { ...DEFAULT_TIMING };
  if (spec === undefined || spec.trim() === '') return timing;
  for (const part of spec.split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    const field = key === undefined ? undefined : TIMING_KEYS[key];
    if (field === undefined || value === undefined)
      throw new Error(`--demo-timing: expected key=duration with keys ${Object.keys(TIMING_KEYS).join(', ')}, got "${part}"`);
    timing[field] = parseDuration(value);
  }
  if (timing.tickMs < 100) throw new Error('--demo-timing: tick must be at least 100ms');
  if (timing.failMs < 3 * timing.tickMs || timing.silenceMs < 3 * timing.tickMs)
    throw new Error('--demo-timing: fail and silence must be at least 3 ticks');
  return timing;
}

export function formatTiming(timing: StoryTiming): string {
  return Object.entries(TIMING_KEYS)
    .map(([key, field]) => `${key}=${formatDuration(timing[field])}`)
    .join(',');
}
