// Input checks shared by the engine calls. They run before any mutation, so a refused input changes nothing.
import { EngineError } from './types.js';
import type { Timing } from './types.js';

export function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new EngineError('invalid', `${what} must be a non-empty string`);
  return value;
}

/**
 * A finite time. The sane window (util/bounds.ts) is enforced where times enter vigil, against the wall clock
 * (API bodies, agent messages); the engine's `now` may be a test's clock, so it does not judge the window itself.
 */
export function requireTime(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new EngineError('invalid', `${what} must be a finite time in epoch ms`);
  return value;
}

export function requireDuration(value: unknown, what: string, { positive = false } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new EngineError('invalid', `${what} must be a finite number ${positive ? '> 0' : '>= 0'}`);
  }
  return value;
}

export function optionalDuration(value: unknown, what: string): void {
  if (value !== undefined) requireDuration(value, what);
}

export function validateTiming(timing: Partial<Timing> | undefined, what: string): void {
  if (timing === undefined) return;
  if (typeof timing !== 'object' || timing === null) throw new EngineError('invalid', `${what} must be an object`);
  if (timing.freshness !== undefined) requireDuration(timing.freshness, `${what}.freshness`, { positive: true });
  optionalDuration(timing.overhead, `${what}.overhead`);
  optionalDuration(timing.accuracy, `${what}.accuracy`);
  optionalDuration(timing.pushPeriod, `${what}.pushPeriod`);
}

export function notFound(what: string, id: string): EngineError {
  return new EngineError('not_found', `${what} ${JSON.stringify(id)} does not exist`);
}
