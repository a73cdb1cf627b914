// The agent websocket protocol: JSON text messages, one object each, validated like the push API's bodies.
// Agent → vigil: heartbeat, check, metadata, metadata_delete. vigil → agent: welcome, error.
import { z } from 'zod';
import type { CheckStatus, Observation } from '../../engine/types.js';
import { DEFAULT_PUSH_PERIOD_MS, checkBody, idSchema, metadataBody, pushedTiming } from '../../exporter/api/bodies.js';

const metadataKey = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'metadata keys are 1-64 letters, digits and _ . -');

export const agentMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('heartbeat') }),
  checkBody.extend({ type: z.literal('check'), check: idSchema }),
  metadataBody.extend({ type: z.literal('metadata'), key: metadataKey }),
  z.strictObject({ type: z.literal('metadata_delete'), key: metadataKey }),
]);

export type AgentMessage = z.output<typeof agentMessage>;
export type CheckMessage = Extract<AgentMessage, { type: 'check' }>;

/** What vigil sends to an agent. */
export type ServerMessage =
  | { type: 'welcome'; subject: string; kind: string; ping_interval_seconds: number }
  | { type: 'error'; detail: string };

/** Parses one text frame; throws an Error whose message says what is wrong (sent back to the agent). */
export function parseAgentMessage(text: string): AgentMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('message is not valid JSON');
  }
  const result = agentMessage.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(message)'}: ${issue.message}`);
  throw new Error(`invalid message: ${issues.join('; ')}`);
}

export function checkObservation(subject: string, message: CheckMessage, freshness: number | undefined): Observation {
  const observation: Observation = {
    subject,
    check: message.check,
    status: message.status as CheckStatus,
    period: message.period ?? DEFAULT_PUSH_PERIOD_MS,
    source: 'agents',
  };
  if (message.message !== undefined) observation.message = message.message;
  if (message.observed_at !== undefined) observation.observedAt = message.observed_at;
  if (message.metrics !== undefined) observation.metrics = message.metrics;
  const { maxAge, timing } = pushedTiming(message);
  if (maxAge !== undefined) observation.maxAge = maxAge;
  if (timing !== undefined || freshness !== undefined) observation.timing = { ...timing, ...(freshness !== undefined && { freshness }) };
  return observation;
}
