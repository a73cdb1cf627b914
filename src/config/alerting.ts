// The `alerting:` section (docs/config.md, docs/alerting.md): receivers, notification policies and the knobs of `vigil generate-rules`.
// Keys are snake_case and mirror Alertmanager's own field names where a field ends up in its configuration.
// Secrets are only ever file paths (`*_file`): Alertmanager reads them on its own machine, so no secret value
// is ever written into a generated file.
import { z } from 'zod';
import { isMailbox, MAILBOX_HINT } from '../util/mailbox.js';
import { durationSchema, LABEL_NAME_RE } from './fields.js';

export const NOTIFY_MODES = ['failure', 'change', 'always'] as const;
export type NotifyMode = (typeof NOTIFY_MODES)[number];
export const POLICY_SCOPES = ['check', 'subject'] as const;
export const SEVERITIES = ['critical', 'warning', 'info'] as const;

/** What counts as failing (`on:`), per scope; the first of each list is the default. */
export const CHECK_CONDITIONS = ['crit', 'warn', 'unreachable', 'stale'] as const;
export const SUBJECT_CONDITIONS = ['unhealthy', 'unavailable', 'missing', 'warnings'] as const;
export type CheckCondition = (typeof CHECK_CONDITIONS)[number];
export type SubjectCondition = (typeof SUBJECT_CONDITIONS)[number];
export type PolicyCondition = CheckCondition | SubjectCondition;

const NAME_RE = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;
const nameSchema = (what: string) =>
  z.string().regex(NAME_RE, `a ${what} name is lower-case letters and digits, words joined by - or _ (e.g. web-probes)`);

const filePathSchema = z.string().min(1, 'must name a file');

/** `http(s)://` URL without credentials: a URL's user-info would be a secret in a generated file. */
const urlSchema = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).refine((value) => {
  const url = new URL(value);
  return url.username === '' && url.password === '';
}, 'must not contain credentials (user:password@); Alertmanager would print them in its configuration');

/** An address with or without a display name (`Ops <ops@example.org>`): Alertmanager accepts both. */
const mailboxSchema = z.string().refine(isMailbox, MAILBOX_HINT);

const emailSchema = z.strictObject({
  to: z
    .union([mailboxSchema, z.array(mailboxSchema).min(1)], { error: 'expected an e-mail address or a list of them' })
    .meta({ description: 'Recipient address (display name allowed: "Ops <ops@example.org>"), or a list of them.' }),
  from: mailboxSchema.meta({ description: 'Sender address, display name allowed: "vigil <vigil@example.org>".' }),
  smarthost: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. smtp.example.org:587')
    .meta({ description: 'SMTP server as host:port.' }),
  auth_username: z.string().min(1).optional(),
  auth_password_file: filePathSchema.optional().meta({ description: 'File holding the SMTP password (read by Alertmanager).' }),
  require_tls: z.boolean().optional().meta({ description: 'Alertmanager default: true.' }),
  hello: z.string().min(1).optional(),
});

const slackSchema = z.strictObject({
  api_url_file: filePathSchema.meta({ description: 'File holding the Slack incoming-webhook URL (read by Alertmanager).' }),
  channel: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
});

const msteamsSchema = z.strictObject({
  webhook_url_file: filePathSchema.meta({
    description: 'File holding the Teams incoming-webhook URL (read by Alertmanager; needs Alertmanager >= 0.27).',
  }),
});

const webhookSchema = z.strictObject({
  url: urlSchema.meta({ description: 'Where Alertmanager POSTs its JSON payload.' }),
  max_alerts: z.number().int().min(0).optional().meta({ description: 'At most this many alerts per message; 0 means all.' }),
});

export const RECEIVER_TYPES = ['email', 'slack', 'msteams', 'webhook'] as const;

const receiverSchema = z
  .strictObject({
    email: emailSchema.optional(),
    slack: slackSchema.optional(),
    msteams: msteamsSchema.optional(),
    webhook: webhookSchema.optional(),
  })
  .refine((receiver) => RECEIVER_TYPES.some((type) => receiver[type] !== undefined), {
    message: `a receiver needs at least one of ${RECEIVER_TYPES.join(', ')}`,
  });

/** A match value is one label value or a list of values (any of them). */
export const matchValueSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'expected a label value or a list of values',
});

/** Labels of vigil's series or alerts that say nothing about which subjects a policy is for. */
export const UNMATCHABLE_KEYS: readonly string[] = ['policy', 'severity', 'state', 'status', 'job', 'instance', 'alertname'];

const policySchema = z
  .strictObject({
    name: nameSchema('policy').meta({ description: 'Unique policy name; alerts carry it as the `policy` label.' }),
    match: z
      .record(z.string().regex(LABEL_NAME_RE, `a match key is a label name matching ${LABEL_NAME_RE.source}`), matchValueSchema)
      .default({})
      .meta({ description: 'Which checks or subjects: kind, subject, check, source or any subject label → value or list of values.' }),
    scope: z.enum(POLICY_SCOPES).default('check').meta({
      description: 'check: each check result counts (exact consecutive counters); subject: subject health, counted in evaluations.',
    }),
    on: z
      .array(z.enum([...CHECK_CONDITIONS, ...SUBJECT_CONDITIONS]))
      .min(1)
      .optional()
      .meta({
        description:
          'What counts as failing. Check scope: crit, warn, unreachable, stale (default [crit]); ' +
          'subject scope: unhealthy, unavailable, missing, warnings (default [unhealthy]).',
      }),
    notify: z.enum(NOTIFY_MODES).meta({
      description: 'failure: notify when failing; change: notify when failing and when recovered; always: every result.',
    }),
    threshold: z.number().int().min(1).default(1).meta({ description: 'Consecutive failures before the alert fires.' }),
    recovery: z.number().int().min(1).optional().meta({
      description: 'Consecutive successes before it resolves (default: threshold for change, 1 for failure).',
    }),
    receiver: z.string().min(1).meta({ description: 'Name of an entry of alerting.receivers.' }),
    severity: z.enum(SEVERITIES).optional().meta({ description: 'Default warning (info for notify: always).' }),
    group_by: z.array(z.string().regex(LABEL_NAME_RE)).min(1).optional().meta({ description: 'Default [policy].' }),
    group_wait: durationSchema.optional(),
    group_interval: durationSchema.optional(),
    repeat: durationSchema.optional().meta({ description: "Alertmanager repeat_interval (default: alerting.repeat; 'change' policies 1y)." }),
  })
  .superRefine((policy, ctx) => {
    if (policy.notify === 'always' && (policy.recovery !== undefined || policy.threshold !== 1)) {
      ctx.addIssue({ code: 'custom', path: ['notify'], message: 'notify: always sends every result; threshold and recovery do not apply' });
    }
    if (policy.scope === 'subject' && policy.notify === 'always') {
      ctx.addIssue({ code: 'custom', path: ['scope'], message: 'notify: always needs scope: check (results belong to checks)' });
    }
    for (const key of Object.keys(policy.match)) {
      if (UNMATCHABLE_KEYS.includes(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['match', key],
          message: `cannot match on "${key}": match on kind, subject, check, source or a subject label`,
        });
      }
    }
    if (policy.on !== undefined) {
      const allowed: readonly string[] = policy.scope === 'subject' ? SUBJECT_CONDITIONS : CHECK_CONDITIONS;
      const seen = new Set<string>();
      policy.on.forEach((condition, index) => {
        if (!allowed.includes(condition)) {
          ctx.addIssue({
            code: 'custom',
            path: ['on', index],
            message: `"${condition}" is not a ${policy.scope}-scope condition (expected ${allowed.join(', ')})`,
          });
        } else if (seen.has(condition)) {
          ctx.addIssue({ code: 'custom', path: ['on', index], message: `"${condition}" is listed twice` });
        }
        seen.add(condition);
      });
      if (policy.notify === 'always') {
        ctx.addIssue({ code: 'custom', path: ['on'], message: 'notify: always sends every result; on does not apply' });
      }
    }
    if (policy.scope === 'subject' && 'check' in policy.match) {
      ctx.addIssue({ code: 'custom', path: ['match', 'check'], message: 'a subject-scoped policy cannot match on check' });
    }
  });

export const alertingSchema = z
  .strictObject({
    evaluation_interval: durationSchema.default('15s').meta({ description: 'Evaluation interval of the generated rule groups.' }),
    external_url: urlSchema.optional().meta({ description: 'Link put into notifications (your vigil status page or Grafana).' }),
    subject_links: z
      .boolean()
      .default(true)
      .meta({
        description:
          "external_url is vigil's own address (its status page): notifications link each alert to <external_url>/subjects/<id>. " +
          'Set false when external_url points elsewhere (Grafana).',
      }),
    runbook_url: z.string().min(1).default('docs/runbook.md').meta({
      description: 'Base of the runbook_url annotations; each alert appends #its-name. Point it at your hosted copy of docs/runbook.md.',
    }),
    data_gap_tolerance: durationSchema.default('5m').meta({
      description:
        "How long alerts keep vigil's last known values when its series briefly disappear (failed scrape, restart), " +
        'so a gap does not resolve and re-fire them; 0 disables.',
    }),
    scrape_job: z.string().min(1).default('vigil').meta({ description: 'Prometheus job label of the scrape of vigil itself.' }),
    templates_dir: z.string().min(1).optional().meta({
      description: 'Directory with .hbs files overriding the built-in annotation and notification templates.',
    }),
    default_receiver: z.string().min(1).optional().meta({
      description: 'Receiver of the built-in alerts (subject unhealthy, stale, ...); without it they are only visible, not sent.',
    }),
    watchdog_receiver: z.string().min(1).optional().meta({ description: 'Dead-man switch receiver for VigilWatchdog.' }),
    group_wait: durationSchema.default('30s'),
    group_interval: durationSchema.default('5m'),
    repeat: durationSchema.default('4h').meta({ description: 'Default repeat_interval.' }),
    receivers: z
      .record(nameSchema('receiver'), receiverSchema)
      .default({})
      .meta({ description: 'Named receivers: email, slack, msteams and/or webhook.' }),
    policies: z.array(policySchema).default([]),
    grafana: z
      .strictObject({
        prometheus_url: urlSchema.default('http://127.0.0.1:9090').meta({ description: 'URL of the provisioned data source.' }),
        dashboards_path: z.string().min(1).default('/var/lib/grafana/dashboards/vigil').meta({
          description: 'Where Grafana finds the generated dashboards (the provisioning file points there).',
        }),
      })
      .prefault({}),
  })
  .superRefine((alerting, ctx) => {
    const receivers = new Set(Object.keys(alerting.receivers));
    const known = [...receivers].join(', ') || 'none defined';
    const checkReceiver = (name: string | undefined, path: (string | number)[]) => {
      if (name !== undefined && !receivers.has(name)) {
        ctx.addIssue({ code: 'custom', path, message: `unknown receiver "${name}" (receivers: ${known})` });
      }
    };
    checkReceiver(alerting.default_receiver, ['default_receiver']);
    checkReceiver(alerting.watchdog_receiver, ['watchdog_receiver']);
    const firstByName = new Map<string, number>();
    const firstByAlert = new Map<string, number>();
    alerting.policies.forEach((policy, index) => {
      checkReceiver(policy.receiver, ['policies', index, 'receiver']);
      const first = firstByName.get(policy.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', index, 'name'],
          message: `duplicate policy name "${policy.name}" (first at policies[${first}])`,
        });
        return;
      }
      firstByName.set(policy.name, index);
      // Alert names are CamelCase of the policy name: `web-probes` and `web_probes` would collide.
      const camel = camelCase(policy.name);
      const clash = firstByAlert.get(camel);
      if (clash !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', index, 'name'],
          message: `policy names "${alerting.policies[clash]!.name}" and "${policy.name}" give the same alert name Vigil${camel}…`,
        });
      }
      firstByAlert.set(camel, index);
    });
  });

export type AlertingConfig = z.output<typeof alertingSchema>;
export type PolicyConfig = AlertingConfig['policies'][number];
export type ReceiverConfig = AlertingConfig['receivers'][string];

/** A policy's conditions: as configured, else the scope's default ([crit] or [unhealthy]). */
export function policyConditions(policy: Pick<PolicyConfig, 'on' | 'scope'>): PolicyCondition[] {
  return policy.on ?? [policy.scope === 'subject' ? SUBJECT_CONDITIONS[0] : CHECK_CONDITIONS[0]];
}

/** `web-probes` → `WebProbes`: alert names are CamelCase (mixin style guide). */
export function camelCase(name: string): string {
  return name
    .split(/[-_]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
