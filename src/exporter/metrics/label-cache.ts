// Escaped label sets, computed once per subject configuration so steady-state scrapes do no escaping.
// A subject's entry is keyed by (id, specVersion); check entries hang off it by check name.
import type { SubjectSpec, SubjectState } from '../../engine/types.js';
import { escapeLabelValue, sanitizeLabelName } from './text-format.js';
import { piece, type Piece } from './writer.js';

/** Labels vigil sets on vigil_subject_info itself; configured labels are renamed around them. */
const INFO_OWN_LABELS: ReadonlySet<string> = new Set(['subject', 'kind', 'source']);

export interface SubjectLabels {
  specVersion: number;
  /** The spec these labels were built from; a new object with equal content is adopted without re-escaping. */
  spec: SubjectSpec;
  /** `subject="…",kind="…"`: the label set of every subject family but info. */
  subjectKind: Piece;
  /** `subject="…",kind="…",source="…",<configured labels>`: vigil_subject_info. */
  info: Piece;
  /** check name → `subject="…",check="…"`. */
  checks: Map<string, Piece>;
  escapedId: string;
}

export class LabelCache {
  private readonly subjects = new Map<string, SubjectLabels>();
  /** Small vocabularies (manipulation names, metadata keys, error reasons) escaped once. */
  private readonly values = new Map<string, string>();
  private static readonly MAX_VALUES = 10_000;

  subject(state: SubjectState): SubjectLabels {
    const spec = state.spec;
    const cached = this.subjects.get(spec.id);
    if (cached !== undefined && cached.specVersion === state.specVersion) {
      if (cached.spec === spec) return cached;
      // Same version, different object (a copied state): trust it only if the labelled fields agree.
      if (sameLabelledFields(cached.spec, spec)) {
        cached.spec = spec;
        return cached;
      }
    }
    const fresh = buildSubjectLabels(state);
    this.subjects.set(spec.id, fresh);
    return fresh;
  }

  check(subject: SubjectLabels, checkName: string): Piece {
    let labels = subject.checks.get(checkName);
    if (labels === undefined) {
      labels = piece(`subject="${subject.escapedId}",check="${escapeLabelValue(checkName)}"`);
      subject.checks.set(checkName, labels);
    }
    return labels;
  }

  /** An escaped label value from a small, bounded vocabulary. */
  value(raw: string): string {
    let escaped = this.values.get(raw);
    if (escaped === undefined) {
      if (this.values.size >= LabelCache.MAX_VALUES) this.values.clear();
      escaped = escapeLabelValue(raw);
      this.values.set(raw, escaped);
    }
    return escaped;
  }

  /** Forgets a subject that is gone. */
  forget(id: string): void {
    this.subjects.delete(id);
  }

  /** Forgets checks of one subject that are gone, once there are more cached than it has. */
  static sweepChecks(subject: SubjectLabels, checks: Readonly<Record<string, unknown>>): void {
    if (subject.checks.size === 0) return;
    let checkCount = 0;
    for (const _ in checks) checkCount++;
    if (subject.checks.size <= checkCount) return;
    for (const name of subject.checks.keys()) if (!Object.hasOwn(checks, name)) subject.checks.delete(name);
  }
}

function sameLabelledFields(a: SubjectSpec, b: SubjectSpec): boolean {
  if (a.kind !== b.kind || a.source !== b.source) return false;
  if (a.labels === b.labels) return true;
  const aKeys = Object.keys(a.labels);
  if (aKeys.length !== Object.keys(b.labels).length) return false;
  for (const key of aKeys) if (a.labels[key] !== b.labels[key]) return false;
  return true;
}

function buildSubjectLabels(state: SubjectState): SubjectLabels {
  const spec = state.spec;
  const escapedId = escapeLabelValue(spec.id);
  const subjectKind = `subject="${escapedId}",kind="${escapeLabelValue(spec.kind)}"`;
  let info = `${subjectKind},source="${escapeLabelValue(spec.source)}"`;
  const used = new Set(INFO_OWN_LABELS);
  // Sorted so the output does not depend on the order keys were written in the config.
  for (const key of Object.keys(spec.labels).sort()) {
    const name = sanitizeLabelName(key, INFO_OWN_LABELS);
    if (used.has(name)) continue; // two keys that sanitise to one name: the first (sorted) wins
    used.add(name);
    info += `,${name}="${escapeLabelValue(spec.labels[key]!)}"`;
  }
  return { specVersion: state.specVersion, spec, subjectKind: piece(subjectKind), info: piece(info), checks: new Map(), escapedId };
}
