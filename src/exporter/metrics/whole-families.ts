// Families written whole at every scrape (a handful of series each: the per-source families here, each extension's
// own in its folder), through the same FamilyDefs and writer as the per-subject families.
import type { FamilyDef } from './families.js';
import { BufferWriter, piece, type ExpositionWriter } from './writer.js';

const NOTHING = piece('');

/** Writes an optional family: header, then `body`; the header is taken back when `body` wrote nothing. */
export function optionalFamily(w: ExpositionWriter, family: FamilyDef, body: () => number): number {
  const mark = w.mark();
  w.put(family.header);
  const written = body();
  if (written === 0) w.rewind(mark);
  return written;
}

/** One sample whose label body (`a="x",b="y"`, values escaped) is built on the spot; `value` is already formatted. */
export function labelledSample(w: ExpositionWriter, family: FamilyDef, labels: string, value: string): void {
  w.sampleRest(family.open, NOTHING, `${labels}} ${value}\n`);
}

/** One sample of a family without labels (`name 3`). */
export function unlabelledSample(w: ExpositionWriter, family: FamilyDef, value: string): void {
  w.sampleRest(NOTHING, NOTHING, `${family.name} ${value}\n`);
}

/** The text `write` produces (tests, benchmarks and the scrape's extension part). */
export function writtenText(write: (w: ExpositionWriter) => void, initialBytes = 1 << 12): string {
  const w = new BufferWriter(initialBytes);
  write(w);
  return w.text();
}
