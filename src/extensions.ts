// The list of extensions `vigil serve` runs: adding a source is its folder under src/sources/ plus one line here
// (docs/contributing.md). The contract they satisfy lives in src/sources/extension.ts, which imports nothing back.
import { agentsExtension } from './sources/agents/index.js';
import type { ExtensionDefinition } from './sources/extension.js';
import { kubernetesExtension } from './sources/kubernetes/index.js';
import { octopusExtension } from './sources/octopus/index.js';
import { practableExtension } from './sources/practable/index.js';
import { targetsExtension } from './sources/targets/index.js';

export const EXTENSIONS = [
  targetsExtension,
  agentsExtension,
  octopusExtension,
  kubernetesExtension,
  practableExtension,
] as const satisfies readonly ExtensionDefinition[];

/** Every route any extension may serve, enabled or not: the server's 405/`Allow` and "not enabled" answers. */
export const EXTENSION_ROUTES = EXTENSIONS.flatMap((extension) => extension.routes);
