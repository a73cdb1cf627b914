// Escaped label sets of a subject and its checks, built when the subject's chunk is rendered and dropped after:
// the rendered bytes are what the renderer keeps (render.ts), so long-lived label sets would only cost memory
// (some 250 bytes per check). Small vocabularies (manipulation names, metadata keys, reasons) are kept escaped.
import type { SubjectState } from '../../engine/types.js';
import { escapeLabelValue, sanitizeLabelName } from './text-format.js';
import { piece, type Piece } from './writer.js';

/** Labels vigil sets on vigil_subject_info itself; configured labels are renamed around them. */
const INFO_OWN_LABELS: ReadonlySet<string> = new Set(['subject', 'kind', 'source']);

export interface SubjectLabels {
  /** `subject="…",kind="…"`: the label set of every subject family but info. */
  subjectKind: Piece;
  /** `subject="…",kind="…",source="…",<configured labels>`: vigil_subject_info. */
  info: Piece;
  /** check name → `subject="…",check="…"`, filled as families ask during one render. */
  checks: Map<string, Piece>;
  escapedId: string;
}

export class LabelCache {
  /** Small vocabularies (manipulation names, metadata keys, error reasons) escaped once. */
  private readonly values = new Map<string, string>();
  private static readonly MAX_VALUES = 10_000;

  /** The subject's label sets as its spec says now. */
  subject(state: SubjectState): SubjectLabels {
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
    return { subjectKind: piece(subjectKind), info: piece(info), checks: new Map(), escapedId };
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
}
