// The plain reference writer the text-format test checks BufferWriter against: string chunks joined once, each
// number printed by formatValue / formatSecondsFromMs. Test-only: /metrics writes bytes (src/exporter/metrics/writer.ts).
import { formatSecondsFromMs, formatValue } from '../../../src/exporter/metrics/text-format.js';
import type { ExpositionWriter, Piece } from '../../../src/exporter/metrics/writer.js';

export class ChunkWriter implements ExpositionWriter {
  private readonly chunks: string[] = [];

  put(piece: Piece): void {
    this.chunks.push(piece.text);
  }
  sample(open: Piece, labels: Piece, tail: Piece): void {
    this.chunks.push(open.text, labels.text, tail.text);
  }
  sampleValue(open: Piece, labels: Piece, value: number): void {
    this.chunks.push(open.text, labels.text, '} ' + formatValue(value) + '\n');
  }
  sampleSeconds(open: Piece, labels: Piece, ms: number): void {
    this.chunks.push(open.text, labels.text, '} ' + formatSecondsFromMs(ms) + '\n');
  }
  sampleRest(open: Piece, labels: Piece, rest: string): void {
    this.chunks.push(open.text, labels.text, rest);
  }
  mark(): number {
    return this.chunks.length;
  }
  rewind(mark: number): void {
    this.chunks.length = mark;
  }
  text(): string {
    return this.chunks.join('');
  }
}
