// The octopus extension: one source polling the configured Octopus server. Present when the config has `octopus:`.
import type { ExtensionFactory } from '../../extensions.js';
import { OctopusSource } from './source.js';

export const octopusExtension: ExtensionFactory = ({ config, vigil, log, cluster }) => {
  if (!config.octopus) return undefined;
  const source = new OctopusSource(config.octopus, {
    // With replicas, the machine may be owned by another one: read back what it last answered.
    lookup: cluster ? cluster.lookup : (id) => vigil.state.subjects.get(id),
    warn: (fields, message) => log.warn(fields, message),
  });
  return { name: 'octopus', sources: [source] };
};
