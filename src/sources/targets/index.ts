// The targets extension: present when the config lists `targets:`.
import type { ExtensionDefinition } from '../extension.js';
import { createTargetsSource } from './source.js';

export const targetsExtension = {
  name: 'targets',
  routes: [],
  // Each replica probes the subjects it owns.
  placement: 'every-replica',
  create: ({ config }) => {
    if (config.targets.length === 0) return undefined;
    // Subjects from `subjects:` keep their configured kind and labels; targets only add checks to them. A replica
    // probes only the subjects it owns (the sink says which).
    const source = createTargetsSource(config.targets, { externalSubjects: new Set(config.subjects.map((s) => s.id)) });
    return { sources: [source] };
  },
} satisfies ExtensionDefinition;
