// Assertions about notifications over time: what arrives, when, and how often.
import assert from 'node:assert/strict';
import { PROCESS_POLL, sleep } from './processes.js';
import { until } from '../../helpers/until.js';
import type { Stack } from './stack.js';
import type { Notification } from './webhook-sink.js';

/** Waits for the `count`-th notification to `path` whose alerts match `labels`; returns the matching notifications. */
export async function waitForNotifications(
  stack: Stack,
  path: string,
  labels: Record<string, string>,
  count: number,
  timeoutMs: number,
): Promise<Notification[]> {
  return until(
    () => {
      const found = stack.webhook.matching(path, labels);
      return found.length >= count ? found : undefined;
    },
    () => `${count} notification(s) to ${path} for ${JSON.stringify(labels)}; got:\n${stack.webhook.describe()}`,
    { ...PROCESS_POLL, timeoutMs, intervalMs: 100 },
  );
}

/** Lets `ms` pass and asserts that no new notification to `path` (matching `labels`) arrived meanwhile. */
export async function assertQuiet(stack: Stack, path: string, labels: Record<string, string>, ms: number, why: string): Promise<void> {
  const before = stack.webhook.matching(path, labels).length;
  await sleep(ms);
  const after = stack.webhook.matching(path, labels);
  assert.equal(after.length, before, `${why}: unexpected notification(s) within ${ms} ms:\n${stack.webhook.describe()}`);
}

/** The alerts of a notification with the given alert name, for readable assertions. */
export const alertsNamed = (notification: Notification, alertname: string) =>
  notification.payload.alerts.filter((alert) => alert.labels['alertname'] === alertname);

/** A check's exact consecutive counters, as vigil's API reports them. */
export interface CheckCounters {
  consecutive_failures: number;
  consecutive_successes: number;
}

/**
 * Polls vigil's API until `subject`/`check`'s `counter` reaches `count`; returns when that was seen and how many
 * notifications had arrived at `path` by then (so "none before the Nth result" is an assertion on that number).
 */
export async function whenCheckCounterReaches(
  stack: Stack,
  where: { subject: string; check: string; path: string },
  counter: keyof CheckCounters,
  count: number,
): Promise<{ at: number; notificationsSoFar: number }> {
  return until(
    async () => {
      const response = await fetch(`${stack.vigilBase}/api/v1/subjects/${where.subject}/health`);
      if (!response.ok) return undefined;
      const check = ((await response.json()) as { checks: Record<string, CheckCounters> }).checks[where.check];
      if (!check || check[counter] < count) return undefined;
      return { at: Date.now(), notificationsSoFar: stack.webhook.matching(where.path).length };
    },
    `${where.subject}/${where.check} ${counter} to reach ${count}`,
    { ...PROCESS_POLL, timeoutMs: 15_000, intervalMs: 50 },
  );
}
