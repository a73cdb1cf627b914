// `vigil import blackbox FILE`: converts a blackbox_exporter modules file (modules: {name: {prober, timeout,
// http|tcp|icmp|dns|grpc: {...}}}, the format of its CONFIGURATION.md) into vigil `probe.modules` on stdout, so
// the same scrape configs keep working against vigil's /probe. Whatever has no equivalent is reported in a comment
// above its module (and counted on stderr); credentials are never copied, only named.
import { readFile } from 'node:fs/promises';
import { Document, isMap, parse } from 'yaml';

type Plain = Record<string, unknown>;

export class BlackboxImportError extends Error {}

interface Converted {
  module?: Plain;
  notes: string[];
}

const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const strings = (value: unknown): string[] => list(value).filter((item): item is string => typeof item === 'string');

/** Keys of a prober section that take no part in a probe's outcome, or that vigil does the same way by default. */
const HARMLESS = new Set(['enable_http2', 'enable_http_compression', 'valid_http_versions', 'ip_protocol_fallback', 'recursion_desired']);

export function importBlackbox(yamlText: string): { text: string; notes: number } {
  let input: unknown;
  try {
    input = parse(yamlText);
  } catch (error) {
    throw new BlackboxImportError(`not valid YAML: ${(error as Error).message}`);
  }
  if (!isPlain(input) || !isPlain(input['modules'])) throw new BlackboxImportError('expected a mapping with modules:');
  const modules: Plain = {};
  const notesByModule = new Map<string, string[]>();
  let noteCount = 0;
  for (const [name, raw] of Object.entries(input['modules'])) {
    const converted = isPlain(raw) ? convertModule(raw) : { notes: ['not a mapping: skipped'] };
    noteCount += converted.notes.length;
    if (converted.module) modules[name] = converted.module;
    notesByModule.set(name, converted.notes);
  }
  const doc = new Document({ probe: { modules } });
  doc.commentBefore = [
    ' vigil probe modules converted from a blackbox_exporter config by `vigil import blackbox`.',
    ' Point the same Prometheus scrape configs at vigil: GET /probe?module=NAME&target=... answers probe_success,',
    ' probe_duration_seconds, probe_http_status_code and probe_ssl_earliest_cert_expiry as blackbox does.',
    ' Review the comments: each marks a setting that changed meaning or has no equivalent.',
  ].join('\n');
  const modulesNode = doc.getIn(['probe', 'modules'], true);
  if (isMap(modulesNode)) {
    for (const pair of modulesNode.items) {
      const notes = notesByModule.get(String((pair.key as { value?: unknown }).value ?? pair.key)) ?? [];
      if (notes.length > 0) (pair.key as { commentBefore?: string }).commentBefore = notes.map((note) => ` ${note}`).join('\n');
    }
  }
  const skipped = [...notesByModule].filter(([name]) => !(name in modules));
  if (skipped.length > 0) doc.comment = skipped.map(([name, notes]) => ` ${name}: ${notes.join('; ')}`).join('\n');
  return { text: doc.toString({ lineWidth: 0 }), notes: noteCount };
}

function convertModule(raw: Plain): Converted {
  const notes: string[] = [];
  const prober = raw['prober'];
  let converted: Converted;
  switch (prober) {
    case 'http':
      converted = convertHttp(isPlain(raw['http']) ? raw['http'] : {}, notes);
      break;
    case 'tcp':
      converted = convertTcp(isPlain(raw['tcp']) ? raw['tcp'] : {}, notes);
      break;
    case 'icmp':
      converted = convertIcmp(isPlain(raw['icmp']) ? raw['icmp'] : {}, notes);
      break;
    case 'dns':
      converted = convertDns(isPlain(raw['dns']) ? raw['dns'] : {}, notes);
      break;
    case 'grpc':
      converted = convertGrpc(isPlain(raw['grpc']) ? raw['grpc'] : {}, notes);
      break;
    default:
      return { notes: [`prober ${JSON.stringify(prober)} has no vigil equivalent: skipped`] };
  }
  if (converted.module && typeof raw['timeout'] === 'string')
    converted.module = { type: converted.module['type'], timeout: raw['timeout'], ...converted.module };
  if (converted.module) {
    for (const regex of regexesOf(converted.module)) {
      try {
        new RegExp(regex);
      } catch {
        notes.push(`regular expression ${JSON.stringify(regex)} is valid in Go but not in JavaScript: rewrite it (the config will not load as is)`);
      }
    }
    converted.module = escapeDollars(converted.module) as Plain;
  }
  return converted;
}

/** Every `matches`/`expect` value of a converted module. */
function regexesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(regexesOf);
  if (!isPlain(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    (key === 'matches' || key === 'expect') && typeof inner === 'string' ? [inner] : regexesOf(inner),
  );
}

/** vigil interpolates `${NAME}` in its config; blackbox's `${1}` (a regex group in tcp send) must stay literal. */
function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('${', () => '$${');
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (isPlain(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, escapeDollars(inner)]));
  return value;
}

/** Takes `key` from `section` when present, recording it as handled. */
function take(section: Plain, handled: Set<string>, key: string): unknown {
  handled.add(key);
  return section[key];
}

function reportRest(section: Plain, handled: Set<string>, notes: string[]): void {
  for (const key of Object.keys(section)) {
    if (handled.has(key) || HARMLESS.has(key)) continue;
    notes.push(`${key}: no vigil equivalent, not converted`);
  }
}

/** download has ip_family; the other probes connect the way the system resolves the host. */
function ipFamily(section: Plain, handled: Set<string>, module: Plain, notes: string[]): void {
  const preferred = take(section, handled, 'preferred_ip_protocol');
  if (preferred === undefined) return;
  if (module['type'] !== 'download')
    return void notes.push(`preferred_ip_protocol ${JSON.stringify(preferred)}: this probe connects over either family`);
  const family = preferred === 'ip6' ? '6' : preferred === 'ip4' ? '4' : undefined;
  if (!family) return void notes.push(`preferred_ip_protocol ${JSON.stringify(preferred)}: unknown, not converted`);
  if (section['ip_protocol_fallback'] === false) module['ip_family'] = family;
  else notes.push(`preferred_ip_protocol ${preferred} with fallback: vigil connects over either family (ip_family: any)`);
}

function tlsConfig(section: Plain, handled: Set<string>, module: Plain, notes: string[]): void {
  const tls = take(section, handled, 'tls_config');
  if (!isPlain(tls)) return;
  for (const key of ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify']) if (tls[key] !== undefined) module[key] = tls[key];
  for (const key of Object.keys(tls)) {
    if (!['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify'].includes(key)) notes.push(`tls_config.${key}: not converted`);
  }
}

function convertHttp(http: Plain, notes: string[]): Converted {
  const handled = new Set<string>();
  const module: Plain = { type: 'download' };
  const codes = take(http, handled, 'valid_status_codes');
  if (Array.isArray(codes) && codes.length > 0) module['expected_status'] = codes;
  const method = take(http, handled, 'method');
  if (typeof method === 'string') module['method'] = method.toUpperCase();
  const headers = take(http, handled, 'headers');
  if (isPlain(headers)) {
    const safe: Plain = {};
    for (const [name, value] of Object.entries(headers)) {
      if (/auth|key|token|secret|cookie|pass/i.test(name))
        notes.push(`header ${name}: looks like a credential, not copied; add it with header_files`);
      else safe[name] = value;
    }
    if (Object.keys(safe).length > 0) module['headers'] = safe;
  }
  const body = take(http, handled, 'body');
  if (typeof body === 'string') module['body'] = body;
  if (take(http, handled, 'no_follow_redirects') === true || take(http, handled, 'follow_redirects') === false) module['follow_redirects'] = false;
  const expectBody = [
    ...strings(take(http, handled, 'fail_if_body_not_matches_regexp')).map((matches) => ({ matches })),
    ...strings(take(http, handled, 'fail_if_body_matches_regexp')).map((matches) => ({ matches, not: true })),
  ];
  if (expectBody.length > 0) module['expect_body'] = expectBody;
  const expectHeaders = [
    ...headerConditions(take(http, handled, 'fail_if_header_not_matches'), false, notes),
    ...headerConditions(take(http, handled, 'fail_if_header_matches'), true, notes),
  ];
  if (expectHeaders.length > 0) module['expect_headers'] = expectHeaders;
  for (const key of ['basic_auth', 'bearer_token', 'bearer_token_file', 'authorization', 'oauth2']) {
    if (take(http, handled, key) !== undefined) notes.push(`${key}: credentials are not copied; send them with headers/header_files`);
  }
  ipFamily(http, handled, module, notes);
  tlsConfig(http, handled, module, notes);
  reportRest(http, handled, notes);
  return { module, notes };
}

function headerConditions(value: unknown, inverted: boolean, notes: string[]): Plain[] {
  return list(value).flatMap((entry) => {
    if (!isPlain(entry) || typeof entry['header'] !== 'string' || typeof entry['regexp'] !== 'string') return [];
    if (entry['allow_missing'] === true && !inverted)
      notes.push(`fail_if_header_not_matches ${entry['header']}: allow_missing is not supported (a missing header fails)`);
    return [{ name: entry['header'], matches: entry['regexp'], ...(inverted ? { not: true } : {}) }];
  });
}

function convertTcp(tcp: Plain, notes: string[]): Converted {
  const handled = new Set<string>();
  const module: Plain = { type: 'tcp' };
  if (take(tcp, handled, 'tls') === true) module['tls'] = true;
  const steps: Plain[] = [];
  for (const entry of list(take(tcp, handled, 'query_response'))) {
    if (!isPlain(entry)) continue;
    if (typeof entry['expect'] === 'string') steps.push({ expect: entry['expect'] });
    if (typeof entry['send'] === 'string') steps.push({ send: entry['send'] });
    if (entry['starttls'] === true) notes.push('query_response starttls: not supported (use tls: true for TLS from the start)');
  }
  if (steps.length > 0) module['query_response'] = steps;
  ipFamily(tcp, handled, module, notes);
  tlsConfig(tcp, handled, module, notes);
  reportRest(tcp, handled, notes);
  return { module, notes };
}

function convertIcmp(icmp: Plain, notes: string[]): Converted {
  const handled = new Set<string>();
  const module: Plain = { type: 'ping', count: 1 };
  ipFamily(icmp, handled, module, notes);
  reportRest(icmp, handled, notes);
  return { module, notes };
}

function convertDns(dns: Plain, notes: string[]): Converted {
  const handled = new Set<string>();
  const module: Plain = { type: 'dns' };
  const name = take(dns, handled, 'query_name');
  if (typeof name !== 'string') return { notes: ['dns module without query_name: skipped'] };
  module['query_name'] = name;
  const type = take(dns, handled, 'query_type');
  if (typeof type === 'string') module['query_type'] = type.toUpperCase();
  const rcodes = strings(take(dns, handled, 'valid_rcodes'));
  if (rcodes.length > 0) module['valid_rcodes'] = rcodes;
  if (take(dns, handled, 'transport_protocol') === 'tcp')
    notes.push('transport_protocol tcp: vigil asks over UDP (falling back to TCP on truncation)');
  const answers = take(dns, handled, 'validate_answer_rrs');
  if (isPlain(answers)) {
    notes.push('validate_answer_rrs: vigil matches the record value ("192.0.2.1"), blackbox the whole record line; check the regexes');
    const some = [
      ...strings(answers['fail_if_none_matches_regexp']).map((matches) => ({ matches })),
      ...strings(answers['fail_if_matches_regexp']).map((matches) => ({ matches, not: true })),
    ];
    const every = strings(answers['fail_if_not_matches_regexp']).map((matches) => ({ matches }));
    if (some.length > 0) module['expect_answers'] = some;
    if (every.length > 0) module['expect_all_answers'] = every;
    if (answers['fail_if_all_match_regexp'] !== undefined) notes.push('validate_answer_rrs.fail_if_all_match_regexp: not supported');
  }
  for (const key of ['validate_authority_rrs', 'validate_additional_rrs'])
    if (take(dns, handled, key) !== undefined) notes.push(`${key}: not supported`);
  ipFamily(dns, handled, module, notes);
  reportRest(dns, handled, notes);
  return { module, notes };
}

function convertGrpc(grpc: Plain, notes: string[]): Converted {
  const handled = new Set<string>();
  const module: Plain = { type: 'grpc' };
  const service = take(grpc, handled, 'service');
  if (typeof service === 'string' && service !== '') module['service'] = service;
  if (take(grpc, handled, 'tls') === true) module['tls'] = true;
  ipFamily(grpc, handled, module, notes);
  tlsConfig(grpc, handled, module, notes);
  reportRest(grpc, handled, notes);
  return { module, notes };
}

/** The CLI command: prints the converted config, reports the number of notes on stderr; exit 2 on unusable input. */
export async function importBlackboxCommand(file: string): Promise<number> {
  try {
    const { text, notes } = importBlackbox(await readFile(file, 'utf8'));
    process.stdout.write(text);
    if (notes > 0)
      process.stderr.write(`vigil import blackbox: ${notes} setting(s) could not be converted exactly; see the comments in the output\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`vigil import blackbox: ${file}: ${(error as Error).message}\n`);
    return 2;
  }
}
