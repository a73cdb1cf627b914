// The `octopus:` section (docs/octopus.md): poll an Octopus Deploy server's machines and map them onto subjects.
import { z } from 'zod';
import { durationMs, durationSchema, labelsSchema, labelsToStrings } from '../../config/fields.js';
import { requireSecret } from '../../config/secrets.js';
import { defineSection, type SectionContext } from '../../config/section.js';
import { kindSchema } from '../../config/subjects.js';

const ms = durationSchema.transform(durationMs);

export const octopusSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'the Octopus server URL, http:// or https://' })
      .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), 'put the API key in api_key_file, not in the URL')
      .meta({ description: 'Base URL of the Octopus server, e.g. https://octopus.example.org.' }),
    api_key_file: z.string().min(1).meta({ description: 'File holding the API key (sent as X-Octopus-ApiKey).' }),
    space: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a space id such as Spaces-1, or none for a server without Spaces')
      .optional()
      .meta({
        description:
          'Space id whose machines are read (/api/{space}/machines); none for a server without Spaces (/api/machines). ' +
          'Absent: Spaces-1, or /api/machines when the server has no Spaces.',
      }),
    interval: ms.prefault('1m').meta({ description: 'How often the machines are read.' }),
    timeout: ms.prefault('30s').meta({ description: 'Timeout of one poll (all pages).' }),
    workers: z.boolean().default(false).meta({ description: 'Read /workers as well as /machines (deployment targets).' }),
    subject_id: z
      .enum(['name', 'id'])
      .default('name')
      .meta({ description: 'Subject id from the machine Name (matches agents connecting with that name) or its Id (Machines-12).' }),
    kind: kindSchema.default('machine'),
    labels: labelsSchema.optional().meta({ description: 'Labels added to every Octopus machine subject.' }),
  })
  .meta({ description: 'Octopus Deploy machine health: HealthStatus to health, warnings and connectivity.' });

const DEFAULT_SPACE = 'Spaces-1';

export type RawOctopusConfig = z.output<typeof octopusSchema>;

export interface OctopusConfig {
  /** Base URL without a trailing slash. */
  url: string;
  apiKey: string;
  /** null: a server without Spaces (`/api/machines`). */
  space: string | null;
  /** `space` was not configured: a 404 on the default space means a server without Spaces. */
  detectSpaces: boolean;
  interval: number;
  timeout: number;
  workers: boolean;
  subjectId: 'name' | 'id';
  kind: string;
  labels: Record<string, string>;
}

export function normalizeOctopus(raw: RawOctopusConfig, { secrets }: SectionContext): OctopusConfig {
  const apiKey = requireSecret(secrets, ['octopus', 'api_key_file']);
  return {
    url: raw.url.replace(/\/+$/, ''),
    apiKey,
    space: raw.space === undefined ? DEFAULT_SPACE : raw.space === 'none' ? null : raw.space,
    detectSpaces: raw.space === undefined,
    interval: raw.interval,
    timeout: raw.timeout,
    workers: raw.workers,
    subjectId: raw.subject_id,
    kind: raw.kind,
    labels: labelsToStrings(raw.labels),
  };
}

export const octopusSection = defineSection({ key: 'octopus', schema: octopusSchema, normalize: normalizeOctopus });
