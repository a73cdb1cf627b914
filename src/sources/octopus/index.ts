// The octopus extension: one source polling the configured Octopus server. Present when the config has `octopus:`.
import type { ExtensionDefinition } from '../extension.js';
import { OctopusSource } from './source.js';

export const octopusExtension = {
  name: 'octopus',
  routes: [],
  create: ({ config, log }) => {
    if (!config.octopus) return undefined;
    const source = new OctopusSource(config.octopus, { warn: (fields, message) => log.warn(fields, message) });
    return { sources: [source] };
  },
} satisfies ExtensionDefinition;
