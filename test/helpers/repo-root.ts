// The repository root, for tests that read committed files (docs, generated rules, fixtures). Tests run from
// dist/test/…: the root is where package.json is, two levels above dist/test/helpers/.
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
