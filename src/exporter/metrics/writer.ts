// Where the renderer puts its output: bytes written straight into a growing Buffer (what /metrics uses). The
// ExpositionWriter shape lets the tests check it against a plain string-joining writer.
// Constant and cached text travels as a Piece that carries its UTF-8 bytes, so the hot path only copies.
import { formatSecondsFromMs, formatValue } from './text-format.js';

export interface Piece {
  readonly text: string;
  readonly bytes: Uint8Array;
  /** Whether text is plain ASCII (then one byte per character and Latin-1 decoding is exact). */
  readonly ascii: boolean;
}

export function piece(text: string): Piece {
  const bytes = Buffer.from(text, 'utf8');
  return { text, bytes, ascii: bytes.length === text.length };
}

export interface ExpositionWriter {
  /** Writes a constant or cached piece as it is (headers). */
  put(piece: Piece): void;
  /** `open` is `name{`, `labels` the label body; `tail` the constant rest of the line (`,state="x"} 1\n`). */
  sample(open: Piece, labels: Piece, tail: Piece): void;
  /** A sample whose value is any number. */
  sampleValue(open: Piece, labels: Piece, value: number): void;
  /** A sample whose value is an epoch-millisecond time written as seconds. */
  sampleSeconds(open: Piece, labels: Piece, ms: number): void;
  /** A sample whose extra labels and value are built on the spot: `rest` runs from after the labels to `\n`. */
  sampleRest(open: Piece, labels: Piece, rest: string): void;
  /** A position to come back to, to take back a header whose family turned out to have no series. */
  mark(): number;
  rewind(mark: number): void;
}

const CLOSE_BRACE = 0x7d;
const SPACE = 0x20;
const LINE_FEED = 0x0a;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
/** Room for `} `, the longest number JavaScript prints (24 characters) and `\n`. */
const VALUE_ROOM = 32;

export class BufferWriter implements ExpositionWriter {
  private buffer: Buffer;
  private length = 0;
  private ascii = true;

  constructor(initialBytes = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  put(piece: Piece): void {
    this.reserve(piece.bytes.length);
    this.copy(piece);
  }

  sample(open: Piece, labels: Piece, tail: Piece): void {
    this.reserve(open.bytes.length + labels.bytes.length + tail.bytes.length);
    this.copy(open);
    this.copy(labels);
    this.copy(tail);
  }

  sampleValue(open: Piece, labels: Piece, value: number): void {
    this.head(open, labels);
    if (value >= 0 && value <= 0x7fffffff && (value | 0) === value) this.digits(value);
    else this.asciiText(formatValue(value));
    this.buffer[this.length++] = LINE_FEED;
  }

  sampleSeconds(open: Piece, labels: Piece, ms: number): void {
    this.head(open, labels);
    const seconds = Math.floor(ms / 1000);
    // Whole seconds up to 2038 fit an int32; anything else (or fractional ms) takes the general path.
    if (ms >= 0 && seconds <= 0x7fffffff && Number.isInteger(ms)) {
      this.digits(seconds);
      this.fraction(ms - seconds * 1000);
    } else {
      this.asciiText(formatSecondsFromMs(ms));
    }
    this.buffer[this.length++] = LINE_FEED;
  }

  sampleRest(open: Piece, labels: Piece, rest: string): void {
    const bytes = Buffer.byteLength(rest);
    this.reserve(open.bytes.length + labels.bytes.length + bytes);
    this.copy(open);
    this.copy(labels);
    this.length += this.buffer.write(rest, this.length);
    if (bytes !== rest.length) this.ascii = false;
  }

  mark(): number {
    return this.length;
  }
  rewind(mark: number): void {
    this.length = mark;
  }

  /** Starts over, keeping the buffer: a steady scrape then allocates nothing large. */
  reset(): void {
    this.length = 0;
    this.ascii = true;
  }

  /** A view of the output; it is overwritten by the next use of this writer after reset(). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** The output as a string; Latin-1 decoding is a plain copy and exact when everything was ASCII. */
  text(): string {
    return this.buffer.toString(this.ascii ? 'latin1' : 'utf8', 0, this.length);
  }

  private head(open: Piece, labels: Piece): void {
    this.reserve(open.bytes.length + labels.bytes.length + VALUE_ROOM);
    this.copy(open);
    this.copy(labels);
    this.buffer[this.length++] = CLOSE_BRACE;
    this.buffer[this.length++] = SPACE;
  }

  private copy(piece: Piece): void {
    this.buffer.set(piece.bytes, this.length);
    this.length += piece.bytes.length;
    if (!piece.ascii) this.ascii = false;
  }

  /** Decimal digits of a non-negative int32, without making a string. */
  private digits(n: number): void {
    const buffer = this.buffer;
    let width = 1;
    for (let rest = n; rest >= 10; rest = (rest / 10) | 0) width++;
    let at = this.length + width;
    this.length = at;
    do {
      const next = (n / 10) | 0;
      buffer[--at] = DIGIT_0 + n - next * 10;
      n = next;
    } while (n > 0);
  }

  /** `.1`, `.12`, `.123`, `.001` or nothing: milliseconds as a fraction with trailing zeros trimmed. */
  private fraction(ms: number): void {
    if (ms === 0) return;
    const buffer = this.buffer;
    const hundreds = (ms / 100) | 0;
    const tens = ((ms / 10) | 0) - hundreds * 10;
    const units = ms - ((ms / 10) | 0) * 10;
    buffer[this.length++] = DOT;
    buffer[this.length++] = DIGIT_0 + hundreds;
    if (tens === 0 && units === 0) return;
    buffer[this.length++] = DIGIT_0 + tens;
    if (units !== 0) buffer[this.length++] = DIGIT_0 + units;
  }

  /** Short ASCII text (a formatted number) without Buffer.write's argument handling. */
  private asciiText(text: string): void {
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < text.length; i++) buffer[at++] = text.charCodeAt(i);
    this.length = at;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes + VALUE_ROOM));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
