// Handlebars templates: alert annotations and Alertmanager notification bodies. The built-in `.hbs` files live in
// src/generate/templates/; `alerting.templates_dir` may override whole files, or single sections of annotations.hbs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** Template sources by file name (`annotations.hbs`, `email.tmpl.hbs`, ...). */
export type TemplateSources = Readonly<Record<string, string>>;

export const ANNOTATIONS_FILE = 'annotations.hbs';
/** Notification templates: `<name>.tmpl.hbs` renders to Alertmanager's `templates/<name>.tmpl`. */
export const NOTIFICATION_TEMPLATE_SUFFIX = '.tmpl.hbs';

// tsc does not copy .hbs files: from dist/src/generate/ the sources are three levels up, from src/generate/ beside us.
const BUILTIN_DIR_CANDIDATES = [new URL('./templates/', import.meta.url), new URL('../../../src/generate/templates/', import.meta.url)];

export function builtinTemplatesDir(): string {
  for (const candidate of BUILTIN_DIR_CANDIDATES) {
    const dir = fileURLToPath(candidate);
    if (existsSync(join(dir, ANNOTATIONS_FILE))) return dir;
  }
  throw new Error(`built-in templates not found (looked in ${BUILTIN_DIR_CANDIDATES.map((url) => fileURLToPath(url)).join(', ')})`);
}

function readTemplateDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith('.hbs'))
    .sort())
    out[name] = readFileSync(join(dir, name), 'utf8');
  return out;
}

/** Built-in templates, with the `.hbs` files of `overrideDir` replacing them (annotation sections one by one). */
export function loadTemplates(overrideDir?: string): TemplateSources {
  const merged = readTemplateDir(builtinTemplatesDir());
  if (overrideDir === undefined) return merged;
  if (!existsSync(overrideDir)) throw new Error(`alerting.templates_dir "${overrideDir}" does not exist`);
  for (const [name, source] of Object.entries(readTemplateDir(overrideDir))) {
    if (name === ANNOTATIONS_FILE && merged[name] !== undefined) {
      const sections = { ...parseSections(merged[name]), ...parseSections(source) };
      merged[name] = Object.entries(sections)
        .map(([key, body]) => `{{!-- ${key} --}}\n${body}\n`)
        .join('\n');
    } else {
      merged[name] = source;
    }
  }
  return merged;
}

const SECTION_RE = /^\{\{!-- ([a-z0-9.-]+) --\}\}$/;

/** annotations.hbs is a list of sections, each opened by a `{{!-- alert-key.summary --}}` line. */
export function parseSections(source: string): Record<string, string> {
  const sections: Record<string, string> = {};
  let current: string | undefined;
  let lines: string[] = [];
  const close = () => {
    if (current !== undefined) sections[current] = lines.join('\n').trim();
  };
  for (const line of source.split('\n')) {
    const match = SECTION_RE.exec(line.trim());
    if (match) {
      close();
      current = match[1]!;
      lines = [];
    } else if (current !== undefined) {
      lines.push(line);
    }
  }
  close();
  return sections;
}

/**
 * A Handlebars instance whose helpers write Prometheus template syntax, so annotation templates read naturally:
 * `{{label "subject"}}` → `{{ $labels.subject }}`, `{{value}}` → `{{ $value }}`, `{{value "humanizeDuration"}}`.
 * `{{{{raw}}}}…{{{{/raw}}}}` passes Go template text through untouched (notification templates).
 */
function handlebars(): typeof Handlebars {
  const instance = Handlebars.create();
  instance.registerHelper('label', (name: unknown) => `{{ $labels.${String(name)} }}`);
  instance.registerHelper('value', (...args: unknown[]) => {
    const format = args.length > 1 && typeof args[0] === 'string' ? ` | ${args[0]}` : '';
    return `{{ $value${format} }}`;
  });
  instance.registerHelper('raw', (options: Handlebars.HelperOptions) => options.fn(undefined));
  instance.registerHelper('eq', (left: unknown, right: unknown) => left === right);
  return instance;
}

export interface Annotations {
  summary: string;
  description: string;
}

/** Renders the summary and description of one alert family (`check-stale`, `policy-check-failing`, ...). */
export class AnnotationRenderer {
  private readonly sections: Record<string, string>;
  private readonly hbs = handlebars();
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();

  constructor(templates: TemplateSources) {
    const source = templates[ANNOTATIONS_FILE];
    if (source === undefined) throw new Error(`template ${ANNOTATIONS_FILE} is missing`);
    this.sections = parseSections(source);
  }

  render(key: string, context: object): Annotations {
    return { summary: this.section(`${key}.summary`, context), description: this.section(`${key}.description`, context) };
  }

  private section(name: string, context: object): string {
    let template = this.compiled.get(name);
    if (template === undefined) {
      const source = this.sections[name];
      if (source === undefined) throw new Error(`${ANNOTATIONS_FILE} has no section "${name}"`);
      template = this.hbs.compile(source, { noEscape: true, strict: true });
      this.compiled.set(name, template);
    }
    // Annotations are single-line: collapse the template's line breaks and indentation.
    return template(context)
      .replace(/\s*\n\s*/g, ' ')
      .trim();
  }
}

/** Renders every `<name>.tmpl.hbs` into Alertmanager template text, by output file name (`email.tmpl`). */
export function renderNotificationTemplates(templates: TemplateSources, context: object): Map<string, string> {
  const hbs = handlebars();
  const out = new Map<string, string>();
  for (const name of Object.keys(templates).sort()) {
    if (!name.endsWith(NOTIFICATION_TEMPLATE_SUFFIX)) continue;
    const outputName = name.slice(0, -'.hbs'.length);
    out.set(outputName, hbs.compile(templates[name]!, { strict: true })(context));
  }
  return out;
}
