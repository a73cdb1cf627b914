// Option groups that several probe types share: the condition vocabulary (one small language for bodies, headers,
// DNS answers and TCP exchanges), client TLS settings, and the timing/certificate limits that turn a slow or
// soon-expiring answer into warn or crit. Kept apart from targets.ts so each probe's schema stays one glance long.
import { z } from 'zod';
import { durationMs, durationSchema as durationInput } from './fields.js';

const durationSchema = durationInput.transform(durationMs);

/** A regular expression that must compile; the message names the compiler's complaint. */
export const regexSchema = z
  .string()
  .min(1)
  .max(1024)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
    }
  });

/**
 * The text condition: exactly one of `equals`, `contains`, `matches` (a regular expression), optionally inverted
 * with `not: true`. Every probe that inspects text uses this shape.
 */
const matcherFields = {
  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional().meta({ description: 'The value is exactly this.' }),
  contains: z.string().min(1).optional().meta({ description: 'The value contains this text.' }),
  matches: regexSchema.optional().meta({ description: 'The value matches this regular expression (JavaScript syntax).' }),
  not: z.boolean().default(false).meta({ description: 'Invert: the condition holds when the test fails.' }),
};

function exactlyOneTest(value: { equals?: unknown; contains?: string | undefined; matches?: string | undefined }, ctx: z.RefinementCtx): void {
  const given = (['equals', 'contains', 'matches'] as const).filter((key) => key in value && value[key] !== undefined);
  if (given.length !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of equals, contains, matches' });
}

export const textConditionSchema = z.strictObject(matcherFields).superRefine(exactlyOneTest);
export type TextCondition = z.output<typeof textConditionSchema>;

/** A body condition: a text condition on the whole body, or on the value a `json_path` selects. */
export const bodyConditionSchema = z
  .strictObject({
    ...matcherFields,
    json_path: z
      .string()
      .regex(/^\$?(\.[A-Za-z_$][\w$-]*|\[\d+\]|\["[^"]*"\])*$/, 'a path such as $.status or $.items[0].name')
      .optional()
      .meta({ description: 'Test the JSON value at this path ($.a.b[0]) instead of the raw body.' }),
  })
  .superRefine(exactlyOneTest);
export type BodyCondition = z.output<typeof bodyConditionSchema>;

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A response header condition; an absent header fails every test (and so passes every inverted one). */
export const headerConditionSchema = z
  .strictObject({ name: z.string().regex(HEADER_NAME_RE, 'not a valid HTTP header name'), ...matcherFields })
  .superRefine(exactlyOneTest);
export type HeaderCondition = z.output<typeof headerConditionSchema>;

/** Client-side TLS: whom to trust, what to present, which name to expect. Files resolve against the config file. */
export const tlsClientFields = {
  ca_file: z.string().min(1).optional().meta({ description: 'PEM file of the CA certificates to verify against (replaces the system roots).' }),
  cert_file: z.string().min(1).optional().meta({ description: 'PEM client certificate to present (with key_file).' }),
  key_file: z.string().min(1).optional().meta({ description: 'PEM private key of cert_file.' }),
  server_name: z.string().min(1).max(253).optional().meta({ description: 'Name to verify the certificate against (SNI); default the host.' }),
  insecure_skip_verify: z.boolean().default(false).meta({ description: 'Do not verify the TLS certificate (prefer ca_file).' }),
};

/** Limits every probe may set on its own duration; checked after a reached run. */
export const timingFields = {
  max_duration: durationSchema.optional().meta({ description: 'A reached run slower than this is crit (reason slow).' }),
  warn_duration: durationSchema.optional().meta({ description: 'A reached run slower than this (but within max_duration) is warn.' }),
};

/** Certificate expiry limits of probes that speak TLS. */
export const certFields = {
  cert_expiry_warn: durationSchema.optional().meta({ description: 'Warn when the earliest certificate of the chain expires within this.' }),
  cert_expiry_crit: durationSchema.optional().meta({ description: 'Crit when the earliest certificate of the chain expires within this.' }),
};

/** Cross-field checks of the shared groups, reported at the key they concern. */
export function checkSharedOptions(
  target: {
    cert_file?: string | undefined;
    key_file?: string | undefined;
    max_duration?: number | undefined;
    warn_duration?: number | undefined;
    timeout: number;
    cert_expiry_warn?: number | undefined;
    cert_expiry_crit?: number | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  if ((target.cert_file === undefined) !== (target.key_file === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [target.cert_file === undefined ? 'cert_file' : 'key_file'],
      message: 'cert_file and key_file go together',
    });
  }
  if (target.warn_duration !== undefined && target.max_duration !== undefined && target.warn_duration >= target.max_duration) {
    ctx.addIssue({ code: 'custom', path: ['warn_duration'], message: 'warn_duration must be below max_duration' });
  }
  if (target.max_duration !== undefined && target.max_duration >= target.timeout) {
    ctx.addIssue({ code: 'custom', path: ['max_duration'], message: 'max_duration must be below timeout (a slower run times out first)' });
  }
  if (target.cert_expiry_warn !== undefined && target.cert_expiry_crit !== undefined && target.cert_expiry_crit >= target.cert_expiry_warn) {
    ctx.addIssue({ code: 'custom', path: ['cert_expiry_crit'], message: 'cert_expiry_crit must be shorter than cert_expiry_warn' });
  }
}
