// The generated artefacts against the `metrics:` selection: a rule that reads a family /metrics will not
// expose can never fire (or resolve), so generate-rules refuses it and says how to switch the family on;
// a dashboard query on a switched-off family is left out (a panel without queries goes, and so does a row
// left empty), so the dashboards show what the exposition has.
import type { KeyPath } from '../config/errors.js';
import type { MetricsSelection } from '../exporter/metrics/selection.js';
import type { Dashboard, Panel } from './grafana/index.js';
import { layout } from './grafana/common.js';
import type { RuleGroup } from './rule-context.js';

/** The vigil metric families an expression reads. */
export function familiesIn(expr: string): string[] {
  return [...new Set(expr.match(/\bvigil_[a-z0-9_]+/g) ?? [])].sort();
}

export interface MissingFamily {
  /** Where the need comes from in the config (`alerting.policies[2]`), or `metrics.exclude` for built-ins. */
  path: KeyPath;
  message: string;
}

/** Thrown by generate(): rules that need families the selection switches off. */
export class MissingFamiliesError extends Error {
  constructor(readonly missing: MissingFamily[]) {
    super(missing.map((m) => m.message).join('\n'));
    this.name = 'MissingFamiliesError';
  }
}

/**
 * Every rule's families must be exposed. `policyIndex` maps a policy group name to its index in
 * `alerting.policies`, so the error names the policy that needs the family.
 */
export function checkRuleFamilies(groups: readonly RuleGroup[], selection: MetricsSelection, policyIndex: ReadonlyMap<string, number>): void {
  const missing: MissingFamily[] = [];
  for (const group of groups) {
    for (const rule of group.rules) {
      for (const family of familiesIn(rule.expr)) {
        if (selection.enabled(family)) continue;
        const index = policyIndex.get(group.name);
        const what = index === undefined ? `the built-in alert ${rule.alert}` : `alert ${rule.alert}`;
        missing.push({
          path: index === undefined ? ['metrics', 'exclude'] : ['alerting', 'policies', index],
          message:
            `${what} needs the metric family ${family}, which metrics: switches off; ` +
            'add it to metrics.include (or remove it from metrics.exclude)',
        });
      }
    }
  }
  if (missing.length > 0) throw new MissingFamiliesError(missing);
}

/** Variables reading a switched-off family would leave a dashboard without subjects: refused like rules. */
function checkVariables(dashboard: Dashboard, selection: MetricsSelection): MissingFamily[] {
  return dashboard.templating.list.flatMap((variable) =>
    familiesIn(variable.query)
      .filter((family) => !selection.enabled(family))
      .map((family) => ({
        path: ['metrics', 'exclude'],
        message: `dashboard ${dashboard.uid} variable $${variable.name} needs the metric family ${family}, which metrics: switches off`,
      })),
  );
}

/** The dashboard with queries on switched-off families removed, and panels and rows left empty dropped. */
export function selectDashboard(dashboard: Dashboard, selection: MetricsSelection): Dashboard {
  const missing = checkVariables(dashboard, selection);
  if (missing.length > 0) throw new MissingFamiliesError(missing);
  const kept: Panel[] = [];
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') {
      kept.push(panel);
      continue;
    }
    const targets = (panel.targets ?? []).filter((target) => familiesIn(target.expr).every((family) => selection.enabled(family)));
    if (targets.length === 0) continue;
    kept.push({ ...panel, targets });
  }
  const withoutEmptyRows = kept.filter((panel, i) => panel.type !== 'row' || (kept[i + 1] !== undefined && kept[i + 1]!.type !== 'row'));
  if (withoutEmptyRows.length === dashboard.panels.length) return dashboard;
  const specs = withoutEmptyRows.map(({ id: _id, gridPos, ...panel }) => ({ ...panel, w: gridPos.w, h: gridPos.h }));
  return { ...dashboard, panels: layout(specs) };
}
