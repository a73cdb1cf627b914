// The targets extension: present when the config lists `targets:`.
import type { ExtensionFactory } from '../../extensions.js';
import { createTargetsSource } from './source.js';

export const targetsExtension: ExtensionFactory = ({ config, vigil }) => {
  if (config.targets.length === 0) return undefined;
  // Subjects from `subjects:` keep their configured kind and labels; targets only add checks to them.
  const source = createTargetsSource(config.targets, {
    externalSubjects: new Set(config.subjects.map((s) => s.id)),
    owns: (subjectId) => vigil.admits(subjectId),
  });
  return { name: 'targets', sources: [source] };
};
