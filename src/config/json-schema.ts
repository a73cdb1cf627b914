// JSON Schema of the config file for editors (yaml-language-server: `# yaml-language-server: $schema=...`).
import { z } from 'zod';
import { configSchema } from './schema.js';

/** Draft-07, the draft editors support best; describes what may be written (defaults are optional). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
