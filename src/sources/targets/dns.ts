// dns: ask a server (or the system resolver) for one name and record type, then judge the response code, the
// answer values and their count. Node's resolver (c-ares) reports the response code as an error code, mapped back
// here; a server that does not answer is not reached, one that answers with a code outside valid_rcodes is crit.
import { Resolver } from 'node:dns/promises';
import type { DnsTarget } from '../../config/targets.js';
import { describeCondition, failedCondition } from './conditions.js';
import { errorCode } from '../reasons.js';
import { formatSeconds, secondsSince, unreached, type ProbeFactory, type ProbeResult } from './probe.js';

type DnsProbeTarget = Pick<
  DnsTarget,
  'server' | 'query_name' | 'query_type' | 'valid_rcodes' | 'expect_answers' | 'expect_all_answers' | 'answer_count' | 'timeout'
>;

/** c-ares error codes that stand for a response code the server sent. */
const RCODE_OF_ERROR: Record<string, DnsTarget['valid_rcodes'][number]> = {
  ENODATA: 'NOERROR', // an answer with no records of that type
  EFORMERR: 'FORMERR',
  ESERVFAIL: 'SERVFAIL',
  ENOTFOUND: 'NXDOMAIN',
  ENOTIMP: 'NOTIMP',
  EREFUSED: 'REFUSED',
};

export const createDnsProbe: ProbeFactory<DnsProbeTarget> = (target) => (signal) => runDns(target, signal);

async function runDns(target: DnsProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  const startedAt = performance.now();
  const where = `${target.query_type} ${target.query_name}${target.server ? ` at ${target.server}` : ''}`;
  const resolver = new Resolver({ timeout: target.timeout, tries: 1 });
  if (target.server) resolver.setServers([target.server]);
  const onAbort = (): void => resolver.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  let rcode: string;
  let answers: string[] = [];
  try {
    answers = formatAnswers(target.query_type, await resolver.resolve(target.query_name, target.query_type));
    rcode = 'NOERROR';
  } catch (error) {
    const code = errorCode(error) ?? 'error';
    const seconds = { duration_seconds: secondsSince(startedAt) };
    if (signal.aborted || code === 'ETIMEOUT' || code === 'ECANCELLED')
      return unreached('timeout', `${where}: no answer within ${formatSeconds(seconds.duration_seconds)}`, seconds);
    if (code === 'ECONNREFUSED')
      return { reached: true, status: 'crit', reason: 'refused', message: `${where}: connection refused`, metrics: seconds };
    const fromServer = RCODE_OF_ERROR[code];
    if (!fromServer) return unreached('unreachable', `${where}: ${code}`, seconds);
    rcode = fromServer;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const metrics = { duration_seconds: secondsSince(startedAt) };
  const summary = `${where}: ${rcode}, ${answers.length} answer${answers.length === 1 ? '' : 's'} in ${formatSeconds(metrics.duration_seconds)}`;
  const crit = (reason: ProbeResult['reason'], why: string): ProbeResult => ({
    reached: true,
    status: 'crit',
    reason,
    message: `${summary}: failed: ${why}`,
    metrics,
  });
  if (!(target.valid_rcodes as string[]).includes(rcode)) return crit('rcode', `rcode ${rcode} not in ${target.valid_rcodes.join(', ')}`);
  const { min, max } = target.answer_count ?? {};
  if (min !== undefined && answers.length < min) return crit('answer', `fewer than ${min} answers`);
  if (max !== undefined && answers.length > max) return crit('answer', `more than ${max} answers`);
  for (const condition of target.expect_answers) {
    // A condition holds when some answer passes its test; `not` turns that into "no answer passes".
    const anyPasses = answers.some((answer) => failedCondition('answer', { ...condition, not: false }, answer) === undefined);
    if (anyPasses === condition.not)
      return crit('answer', `${condition.not ? 'an' : 'no'} answer ${describeCondition({ ...condition, not: false })}`);
  }
  for (const condition of target.expect_all_answers) {
    const failing = answers.find((answer) => failedCondition('answer', condition, answer) !== undefined);
    if (failing !== undefined) return crit('answer', `answer "${failing.slice(0, 60)}" does not pass: ${describeCondition(condition)}`);
  }
  return { reached: true, status: 'ok', message: summary, metrics };
}

/** One string per record, in the usual zone-file order of fields, so conditions can match them. */
export function formatAnswers(type: DnsTarget['query_type'], records: unknown): string[] {
  if (!Array.isArray(records)) return records && typeof records === 'object' ? [formatRecord(type, records)] : [];
  return records.map((record: unknown) => formatRecord(type, record));
}

function formatRecord(type: DnsTarget['query_type'], record: unknown): string {
  if (typeof record === 'string') return record;
  if (Array.isArray(record)) return record.join(''); // TXT: chunks of one record
  const r = record as Record<string, unknown>;
  switch (type) {
    case 'MX':
      return `${r['priority']} ${r['exchange']}`;
    case 'SRV':
      return `${r['priority']} ${r['weight']} ${r['port']} ${r['name']}`;
    case 'SOA':
      return `${r['nsname']} ${r['hostmaster']} ${r['serial']} ${r['refresh']} ${r['retry']} ${r['expire']} ${r['minttl']}`;
    case 'CAA':
      return `${r['critical']} ${
        Object.entries(r)
          .find(([key]) => key !== 'critical')
          ?.join(' ') ?? ''
      }`;
    default:
      return JSON.stringify(record);
  }
}
