// The octopus extension: one source polling the configured Octopus server. Present when the config has `octopus:`.
import type { ExtensionDefinition } from '../extension.js';
import { octopusSection, type OctopusConfig } from './config.js';
import { OctopusSource } from './source.js';

export const octopusExtension = {
  name: 'octopus',
  routes: [],
  section: octopusSection,
  create: ({ section, log }) => {
    if (!section) return undefined;
    const source = new OctopusSource(section, { warn: (fields, message) => log.warn(fields, message) });
    return { sources: [source] };
  },
} satisfies ExtensionDefinition<OctopusConfig>;
