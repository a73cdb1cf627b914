// What the generator needs from a config, as plain data, so `generate()` is a pure function of it.
import { alertingSchema, type AlertingConfig } from '../config/alerting.js';
import type { MetricsSelectionConfig } from '../config/core.js';
import { scrapeSchema, type ScrapeSettings } from '../config/scrape.js';
import type { WebConfig } from '../web/web-config.js';
import { scrapeInput, type ScrapeInput } from './scrape.js';
import type { TemplateSources } from './templates.js';

export interface GenerateSubject {
  id: string;
  kind: string;
  labels: Record<string, string>;
  /** Ids of the subjects this one depends on. */
  dependsOn: string[];
}

export interface GenerateInput {
  /** vigil's version, written into every header. */
  version: string;
  subjects: GenerateSubject[];
  alerting: AlertingConfig;
  /** Handlebars sources by file name (`annotations.hbs`, `email.tmpl.hbs`, ...): built-ins merged with overrides. */
  templates: TemplateSources;
  /** `metrics: {include, exclude}`: rules may only read families it exposes; dashboards show only those. */
  metrics: MetricsSelectionConfig;
  /** How Prometheus scrapes vigil; absent: no scrape snippet. */
  scrape?: ScrapeInput;
}

/** The parts of the validated snake_case config the generator reads. */
export interface RawGenerateConfig {
  subjects?: readonly {
    id: string;
    kind: string;
    labels?: Record<string, string | number | boolean>;
    depends_on?: readonly (string | { id: string })[];
  }[];
  alerting?: unknown;
  metrics?: { include?: readonly string[]; exclude?: readonly string[] };
  listen?: string;
  scrape?: ScrapeSettings;
}

/** Turns the loader's validated `raw` config into generator input. A config without `alerting:` gets the defaults. */
export function generateInputFromRaw(raw: RawGenerateConfig, version: string, templates: TemplateSources, web?: WebConfig): GenerateInput {
  const subjects = (raw.subjects ?? []).map((subject) => ({
    id: subject.id,
    kind: subject.kind,
    labels: Object.fromEntries(Object.entries(subject.labels ?? {}).map(([name, value]) => [name, String(value)])),
    dependsOn: (subject.depends_on ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.id)),
  }));
  // The loader has validated `alerting` already; parsing again only fills defaults when the section is absent.
  const alerting = alertingSchema.parse(raw.alerting ?? {});
  const metrics: MetricsSelectionConfig = { include: [...(raw.metrics?.include ?? [])], exclude: [...(raw.metrics?.exclude ?? [])] };
  const input: GenerateInput = { version, subjects, alerting, templates, metrics };
  if (raw.listen !== undefined) input.scrape = scrapeInput(raw.scrape ?? scrapeSchema.parse({}), raw.listen, web);
  return input;
}
