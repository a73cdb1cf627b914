// A small, strict reader of the text exposition format 0.0.4, for tests and the scrape benchmark: it fails on
// anything it does not understand instead of guessing, so a malformed render cannot pass an assertion.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface FamilyInfo {
  help?: string;
  type?: string;
  /** How many times HELP / TYPE appeared (must be once). */
  helpLines: number;
  typeLines: number;
}

export interface Exposition {
  samples: Sample[];
  families: Map<string, FamilyInfo>;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const families = new Map<string, FamilyInfo>();
  const family = (name: string): FamilyInfo => {
    let info = families.get(name);
    if (info === undefined) families.set(name, (info = { helpLines: 0, typeLines: 0 }));
    return info;
  };
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('exposition does not end with a line feed');
  lines.forEach((line, index) => {
    if (line === '') return;
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      const info = family(help[1]!);
      info.helpLines++;
      info.help = help[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      return;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      const info = family(type[1]!);
      info.typeLines++;
      info.type = type[2]!;
      return;
    }
    if (line.startsWith('#')) return;
    const sample = SAMPLE_RE.exec(line);
    if (!sample) throw new Error(`line ${index + 1} is not a sample: ${JSON.stringify(line)}`);
    samples.push({ name: sample[1]!, labels: parseLabels(sample[2] ?? '', index + 1), value: parseNumber(sample[3]!, index + 1) });
  });
  return { samples, families };
}

function parseNumber(text: string, line: number): number {
  // Prometheus reads values with Go's ParseFloat, which takes these case-insensitively (prom-client prints "Nan").
  if (/^\+?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`line ${line}: bad value ${JSON.stringify(text)}`);
  return value;
}

function parseLabels(body: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const eq = body.indexOf('="', at);
    if (eq < 0) throw new Error(`line ${line}: bad labels ${JSON.stringify(body)}`);
    const name = body.slice(at, eq);
    if (!LABEL_NAME_RE.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    let value = '';
    let i = eq + 2;
    for (;;) {
      const c = body[i];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const next = body[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`line ${line}: bad escape \\${next}`);
        i += 2;
        continue;
      }
      if (c === '\n') throw new Error(`line ${line}: raw line feed in label value`);
      value += c;
      i++;
    }
    labels[name] = value;
    at = i + 1;
    if (at < body.length) {
      if (body[at] !== ',') throw new Error(`line ${line}: expected , in labels ${JSON.stringify(body)}`);
      at++;
    }
  }
  return labels;
}

/** A canonical key for a series: name plus sorted labels. */
export function seriesKey(sample: Pick<Sample, 'name' | 'labels'>): string {
  const keys = Object.keys(sample.labels).sort();
  return sample.name + '{' + keys.map((k) => `${k}=${JSON.stringify(sample.labels[k])}`).join(',') + '}';
}

/** series key → value; throws on a duplicate series. */
export function seriesMap(exposition: Exposition): Map<string, number> {
  const map = new Map<string, number>();
  for (const sample of exposition.samples) {
    const key = seriesKey(sample);
    if (map.has(key)) throw new Error(`duplicate series ${key}`);
    map.set(key, sample.value);
  }
  return map;
}
