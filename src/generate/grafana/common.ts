// Builders for classic Grafana dashboard JSON (schemaVersion 39: Grafana 10.4+ loads it as is, newer ones migrate it).
// Every query goes through the `datasource` template variable, so provisioning works with any Prometheus data source.

export const SCHEMA_VERSION = 39;
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

// Types are aliases (not interfaces) so the JSON they describe is checked against Grafana's own schema
// (@grafana/schema) in test/generate/grafana-schema.test.ts.
export type Target = {
  refId: string;
  datasource: typeof DATASOURCE;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  format?: 'table' | 'time_series';
};

export type MappingResult = { text: string; color: string; index: number };
export type ValueMapping =
  | { type: 'value'; options: Record<string, MappingResult> }
  | { type: 'special'; options: { match: 'null' | 'nan' | 'null+nan' | 'true' | 'false' | 'empty'; result: MappingResult } };

export type Thresholds = { mode: 'absolute' | 'percentage'; steps: { value: number | null; color: string }[] };

export type FieldDefaults = {
  unit?: string;
  mappings?: ValueMapping[];
  thresholds?: Thresholds;
  color?: { mode: 'thresholds' | 'palette-classic' | 'fixed' };
  custom?: Record<string, unknown>;
};

export type Panel = {
  id: number;
  type: 'stat' | 'state-timeline' | 'timeseries' | 'table' | 'row';
  title: string;
  description?: string;
  datasource?: typeof DATASOURCE;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  fieldConfig?: { defaults: FieldDefaults; overrides: never[] };
  options?: Record<string, unknown>;
  collapsed?: boolean;
  panels?: Panel[];
};

export type Variable = {
  type: 'datasource' | 'query';
  name: string;
  label: string;
  query: string;
  definition?: string;
  datasource?: typeof DATASOURCE;
  hide: 0;
  includeAll?: boolean;
  allValue?: string;
  multi?: boolean;
  options: never[];
  refresh: 1 | 2;
  regex: string;
  sort?: 1;
};

export type DashboardLink = {
  title: string;
  type: 'dashboards' | 'link';
  tags: string[];
  asDropdown: boolean;
  includeVars: boolean;
  keepTime: boolean;
  icon: string;
  targetBlank: boolean;
  tooltip: string;
  url: string;
};

export type Dashboard = {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: string;
  editable: boolean;
  graphTooltip: 0 | 1 | 2;
  refresh: string;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  templating: { list: Variable[] };
  annotations: { list: never[] };
  links: DashboardLink[];
  panels: Panel[];
};

/** A panel before layout: width and height in grid units (24 columns). */
export type PanelSpec = Omit<Panel, 'id' | 'gridPos'> & { w: number; h: number };

export const datasourceVariable: Variable = {
  type: 'datasource',
  name: 'datasource',
  label: 'Data source',
  query: 'prometheus',
  hide: 0,
  options: [],
  refresh: 1,
  regex: '',
};

/** A multi-value variable from `label_values(...)`, refreshed on time-range change, "All" meaning `.+`. */
export function queryVariable(name: string, label: string, query: string): Variable {
  return {
    type: 'query',
    name,
    label,
    query,
    definition: query,
    datasource: DATASOURCE,
    hide: 0,
    includeAll: true,
    allValue: '.+',
    multi: true,
    options: [],
    refresh: 2,
    regex: '',
    sort: 1,
  };
}

export function target(expr: string, legendFormat = '', options: { instant?: boolean; refId?: string } = {}): Target {
  const instant = options.instant ?? false;
  return {
    refId: options.refId ?? 'A',
    datasource: DATASOURCE,
    expr,
    legendFormat,
    range: !instant,
    instant,
    ...(instant ? { format: 'table' as const } : {}),
  };
}

const absoluteThresholds = (steps: Thresholds['steps']): Thresholds => ({ mode: 'absolute', steps });

export const valueMappings = (entries: [value: number, text: string, color: string][]): ValueMapping[] => [
  {
    type: 'value',
    options: Object.fromEntries(entries.map(([value, text, color], index) => [String(value), { text, color, index }])),
  },
];

export const noDataMapping: ValueMapping = { type: 'special', options: { match: 'null', result: { text: 'no data', color: 'text', index: 99 } } };

/** Health StateSet encoded as one number per subject, highest = worst (see healthExpr). */
export const HEALTH_CODES: [number, string, string][] = [
  [1, 'healthy', 'green'],
  [2, 'pending', 'blue'],
  [3, 'unknown', 'text'],
  [4, 'missing', 'orange'],
  [5, 'unhealthy', 'red'],
];

/** `max by (subject) (health{state="healthy"} * 1 or …)`: the StateSet as one series per subject. */
export function healthExpr(matchers: string): string {
  const sep = matchers ? `, ${matchers}` : '';
  const parts = HEALTH_CODES.map(([code, state]) => `vigil_subject_health{state="${state}"${sep}} * ${code}`);
  return `max by (subject) (${parts.join(' or ')})`;
}

export function stateTimeline(title: string, description: string, targets: Target[], mappings: ValueMapping[], w = 24, h = 10): PanelSpec {
  return {
    type: 'state-timeline',
    title,
    description,
    datasource: DATASOURCE,
    targets,
    w,
    h,
    fieldConfig: {
      defaults: {
        mappings: [...mappings, noDataMapping],
        color: { mode: 'thresholds' },
        thresholds: absoluteThresholds([{ value: null, color: 'text' }]),
      },
      overrides: [],
    },
    options: {
      mergeValues: true,
      showValue: 'never',
      alignValue: 'left',
      rowHeight: 0.9,
      legend: { showLegend: true, displayMode: 'list', placement: 'bottom' },
    },
  };
}

export function stat(title: string, description: string, targets: Target[], extra: FieldDefaults = {}, w = 6, h = 4): PanelSpec {
  return {
    type: 'stat',
    title,
    description,
    datasource: DATASOURCE,
    targets,
    w,
    h,
    fieldConfig: {
      defaults: { color: { mode: 'thresholds' }, thresholds: absoluteThresholds([{ value: null, color: 'green' }]), ...extra },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'none',
      textMode: 'auto',
      orientation: 'auto',
      justifyMode: 'auto',
    },
  };
}

export function timeseries(title: string, description: string, targets: Target[], unit: string, w = 12, h = 8): PanelSpec {
  return {
    type: 'timeseries',
    title,
    description,
    datasource: DATASOURCE,
    targets,
    w,
    h,
    fieldConfig: {
      defaults: { unit, custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false } },
      overrides: [],
    },
    options: { legend: { showLegend: true, displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

export function table(title: string, description: string, targets: Target[], w = 24, h = 8, defaults: FieldDefaults = {}): PanelSpec {
  return {
    type: 'table',
    title,
    description,
    datasource: DATASOURCE,
    targets,
    w,
    h,
    fieldConfig: { defaults, overrides: [] },
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
  };
}

export const row = (title: string): PanelSpec => ({ type: 'row', title, collapsed: false, panels: [], w: 24, h: 1 });

/** Places panels left to right, wrapping at 24 columns; ids are their order, so the output is stable. */
export function layout(specs: PanelSpec[]): Panel[] {
  const panels: Panel[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  specs.forEach(({ w, h, ...panel }, index) => {
    if (x + w > 24 || panel.type === 'row') {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    panels.push({ id: index + 1, ...panel, gridPos: { x, y, w, h } } as Panel);
    x += w;
    rowHeight = Math.max(rowHeight, h);
    if (panel.type === 'row') {
      x = 24;
    }
  });
  return panels;
}

export function dashboard(spec: {
  uid: string;
  title: string;
  header: string;
  about: string;
  variables: Variable[];
  panels: PanelSpec[];
}): Dashboard {
  return {
    uid: spec.uid,
    title: spec.title,
    description: `${spec.about} (${spec.header})`,
    tags: ['vigil', 'generated'],
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [datasourceVariable, ...spec.variables] },
    annotations: { list: [] },
    links: [
      {
        title: 'vigil dashboards',
        type: 'dashboards',
        tags: ['vigil'],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    panels: layout(spec.panels),
  };
}
