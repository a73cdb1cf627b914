// A top-level config section an extension owns (`kubernetes:`, `practable:`, …): its key, its schema and how it
// becomes what the extension codes against. The extension declares it (src/sources/<name>/config.ts); the config
// loader (schema.ts, normalize.ts) takes every section from the list of extensions, so adding a source never edits
// the core config. A leaf: it imports only types.
import type { z } from 'zod';
import type { EngineSettings } from '../engine/types.js';
import type { Secrets } from './secrets.js';

/** What a section's normalization may use besides its own part of the file. */
export interface SectionContext {
  /** The contents of the `*_file` keys by key path (the section's own paths start with its key). Never log them. */
  secrets: Secrets;
  /** A path written in the file, made absolute against the config file's directory. */
  resolvePath(path: string): string;
  /** The engine defaults (`defaults:`), for sections whose own defaults follow them. */
  settings: EngineSettings;
}

export interface ConfigSection<Key extends string, Schema extends z.ZodType, Value> {
  /** The top-level key in the config file. */
  readonly key: Key;
  /** Strict, like every part of the config: an unknown key is an error. Its description is the section's in docs. */
  readonly schema: Schema;
  /** From the validated part of the file (snake_case, durations as written) to the extension's own config. */
  normalize(raw: z.output<Schema>, context: SectionContext): Value;
}

/** Keeps the key's literal type, so the config's type can name the section (`config.kubernetes`). */
export function defineSection<const Key extends string, Schema extends z.ZodType, Value>(
  section: ConfigSection<Key, Schema, Value>,
): ConfigSection<Key, Schema, Value> {
  return section;
}

/** The section a definition (an extension) declares, or never. */
type SectionOf<Definition> = Definition extends { readonly section: infer Section extends ConfigSection<string, z.ZodType, unknown> }
  ? Section
  : never;

/** The schemas of these definitions' sections by key, each optional: their part of the config file's schema. */
export type SectionSchemas<Definition> = { [S in SectionOf<Definition> as S['key']]: z.ZodOptional<S['schema']> };

/** The normalized sections by key (`{ kubernetes?: KubernetesConfig, … }`): their part of the whole config. */
export type SectionValues<Definition> = { [S in SectionOf<Definition> as S['key']]?: ReturnType<S['normalize']> };
