// The shape of a row of the family table (selection.ts): what a family costs and what reads it. A leaf, so a
// source's metrics module can declare its own rows without importing the table that lists them.

/**
 * What one series of the family is per: its cost grows with this. A core unit, or the name of the source whose
 * own objects it counts (`practable` streams, `kubernetes` objects, `agents` connections).
 */
export type FamilyScope = 'subject' | 'check' | 'probe' | 'source' | 'fixed' | (string & Record<never, never>);

/** Which generated artefacts read the family. */
export type FamilyUse = 'rules' | 'dashboards';

export interface FamilyEntry {
  /** Family name, or a glob for a group (prom-client's `process_*`). */
  name: string;
  scope: FamilyScope;
  /** Series per scope unit when present (a StateSet has one per state); 0 when it depends on data. */
  series: number;
  /** Generated artefacts that read it (docs; the generator itself checks what it actually references). */
  neededBy: readonly FamilyUse[];
  /** Exposed without any `metrics:` config. */
  default: boolean;
  /** Present only for some units (absent until known, only while true, only with data). */
  sparse?: boolean;
}

/** Read by the dashboards. */
export const D: readonly FamilyUse[] = ['dashboards'];
/** Read by no generated artefact. */
export const NONE: readonly FamilyUse[] = [];

/** A row of the table; sources declare the rows of their own families with it (src/sources/<name>/metrics.ts). */
export const familyEntry = (
  name: string,
  scope: FamilyScope,
  series: number,
  neededBy: readonly FamilyUse[],
  isDefault: boolean,
  sparse = false,
): FamilyEntry => ({ name, scope, series, neededBy, default: isDefault, ...(sparse ? { sparse } : {}) });
