// What `depends_on` means for alerts: which subject labels name a dependency (joined onto every alert), and which
// alerts each dependency's own alerts must mute in Alertmanager.
//
// Convention: a subject names its dependency in a label, e.g. host-17 {switch: sw3, rack: r7} depends_on [sw3, r7].
// Such labels are exposed on vigil_subject_info, joined onto alerts, and an inhibit rule `switch="sw3"` then also
// covers subjects added later through the API with the same label. Dependants without such a label are listed by id.
import type { GenerateSubject } from './input.js';

export interface DependencyInhibition {
  /** The depended-on subject whose alerts mute the others. */
  source: string;
  /** Label names whose value equals `source` on (some of) its dependants: one inhibit rule each. */
  labels: string[];
  /** Direct and transitive dependants that carry none of those labels, by id. */
  subjects: string[];
}

/** Label names that name a dependency of some subject (sorted): these are joined onto every subject alert. */
export function dependencyLabelNames(subjects: readonly GenerateSubject[]): string[] {
  return [...new Set(dependencyInhibitions(subjects).flatMap((inhibition) => inhibition.labels))].sort();
}

export function dependencyInhibitions(subjects: readonly GenerateSubject[]): DependencyInhibition[] {
  const byId = new Map(subjects.map((subject) => [subject.id, subject]));
  const dependants = new Map<string, string[]>();
  for (const subject of subjects) {
    for (const dependency of subject.dependsOn) {
      const list = dependants.get(dependency) ?? [];
      list.push(subject.id);
      dependants.set(dependency, list);
    }
  }

  const transitiveDependants = (source: string): string[] => {
    const seen = new Set<string>();
    const queue = [...(dependants.get(source) ?? [])];
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (id === source || seen.has(id)) continue; // the config loader rejects cycles; stay finite regardless
      seen.add(id);
      queue.push(...(dependants.get(id) ?? []));
    }
    return [...seen].sort();
  };

  return [...dependants.keys()].sort().map((source) => {
    const all = transitiveDependants(source);
    const labels = new Set<string>();
    const uncovered: string[] = [];
    for (const id of all) {
      const naming = Object.entries(byId.get(id)?.labels ?? {})
        .filter(([, value]) => value === source)
        .map(([name]) => name);
      for (const name of naming) labels.add(name);
      if (naming.length === 0) uncovered.push(id);
    }
    return { source, labels: [...labels].sort(), subjects: uncovered };
  });
}
