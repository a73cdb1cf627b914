// The agent websocket protocol: JSON text messages, one object each, validated like the push API's bodies.
// Agent → vigil: heartbeat, check, metadata, metadata_delete. vigil → agent: welcome, error.
import { z } from 'zod';
import { checkBody, idSchema, metadataBody, metadataKey } from '../../exporter/api/bodies.js';
import { describeIssues } from '../../exporter/api/parse.js';

export const agentMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('heartbeat') }),
  checkBody.extend({ type: z.literal('check'), check: idSchema }),
  metadataBody.extend({ type: z.literal('metadata'), key: metadataKey }),
  z.strictObject({ type: z.literal('metadata_delete'), key: metadataKey }),
]);

export type AgentMessage = z.output<typeof agentMessage>;

/** What vigil sends to an agent. */
export type ServerMessage = { type: 'welcome'; subject: string; kind: string; ping_interval_seconds: number } | { type: 'error'; detail: string };

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
  const issues = describeIssues(result.error, '(message)').map((issue) => `${issue.path}: ${issue.message}`);
  throw new Error(`invalid message: ${issues.join('; ')}`);
}
