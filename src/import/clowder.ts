// `vigil import clowder FILE`: converts a Clowder healthmonitor config (checks: {type: {label: config}},
// notifiers: {type: config}) into a vigil config on stdout, with a comment for everything that has no equivalent.
// Clowder's semantics and bugs: clowder-framework/healthmonitor checks/*.py, notifiers/*.py. The output is built as
// a YAML document (never by string concatenation), and no secret from the Clowder file is copied into it:
// secret-looking header values become `${ENV}` references, webhook URLs become `*_file` paths.
// The checks are converted in clowder-checks.ts, the notifiers in clowder-notifiers.ts; this file builds the document.
import { readFile } from 'node:fs/promises';
import { Document, isMap, isScalar, isSeq, parse } from 'yaml';
import { optInFamiliesFor } from '../exporter/metrics/selection.js';
import { convertChecks } from './clowder-checks.js';
import { convertNotifiers } from './clowder-notifiers.js';
import { type Plain, isPlain } from './clowder-values.js';

export class ClowderImportError extends Error {}

/** Converts the text of a Clowder healthmonitor config into the text of a vigil config. */
export function importClowder(yamlText: string): string {
  let input: unknown;
  try {
    input = parse(yamlText);
  } catch (error) {
    throw new ClowderImportError(`not valid YAML: ${(error as Error).message}`);
  }
  if (!isPlain(input)) throw new ClowderImportError('expected a mapping with checks: and notifiers:');
  const checks = isPlain(input.checks) ? input.checks : {};
  const notifiers = isPlain(input.notifiers) ? input.notifiers : {};
  const headerNotes: string[] = [];
  const targets = convertChecks(checks, headerNotes);
  const alerting = convertNotifiers(notifiers);

  const config: Plain = { targets: targets.converted.map((entry) => entry.target) };
  if (alerting.policies.length > 0) {
    config.alerting = {
      ...(alerting.defaultReceiver === undefined ? {} : { default_receiver: alerting.defaultReceiver }),
      receivers: alerting.receivers,
      policies: alerting.policies,
    };
    const include = optInFamiliesFor(alerting.policies);
    if (include.length > 0) config.metrics = { include };
  }
  const doc = new Document(config);
  doc.commentBefore = [
    ' vigil config converted from a Clowder healthmonitor config by `vigil import clowder`.',
    ' Review the comments below: each marks something that changed meaning or has no equivalent.',
    ' Clowder\'s "sleep" is now "interval" (a fixed period; Clowder drifted by the check\'s duration).',
    ...headerNotes.map((note) => ` ${note}`),
  ].join('\n');
  const comment = (notes: string[]): string => notes.map((note) => ` ${note}`).join('\n');
  const targetsNode = doc.get('targets', true);
  if (isSeq(targetsNode)) {
    targets.converted.forEach((entry, index) => {
      const node = targetsNode.items[index];
      if (isMap(node) && entry.notes.length > 0) node.commentBefore = comment(entry.notes);
    });
    if (targets.skipped.length > 0) targetsNode.comment = comment(targets.skipped);
  }
  if (alerting.notes.length > 0) {
    const root = doc.contents;
    const alertingKey = isMap(root) ? root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'alerting')?.key : undefined;
    if (isScalar(alertingKey)) alertingKey.commentBefore = comment(alerting.notes);
    else doc.comment = comment(alerting.notes);
  }
  return doc.toString({ lineWidth: 0 });
}

/** CLI entry: prints the converted config; returns the process exit code. */
export async function importClowderCommand(file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    process.stderr.write(`vigil import clowder: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 2;
  }
  try {
    process.stdout.write(importClowder(text));
    return 0;
  } catch (error) {
    process.stderr.write(`vigil import clowder: ${file}: ${(error as Error).message}\n`);
    return 2;
  }
}
