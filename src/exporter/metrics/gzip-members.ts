// gzip members for the incremental /metrics body (RFC 1952: a gzip file may be several members back to back,
// and Go's gzip.Reader, which Prometheus uses, reads them as one stream). A piece that changed is compressed
// within a per-scrape time budget; past it, the piece goes out as a *stored* member (deflate without
// compression: a copy and a CRC) and is compressed after the scrape, a slice per event-loop turn, so a scrape
// on a busy machine stays short and the next one finds the piece compressed.
import { crc32, gzipSync } from 'node:zlib';

/** Level 1 with a small window: pieces are a few kilobytes, and a member's set-up cost dominates. */
const MEMBER_OPTIONS = { level: 1, windowBits: 12, memLevel: 5 } as const;
/** Magic, deflate, no flags, no mtime, no extra flags, unknown OS. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
const STORED_BLOCK_MAX = 0xffff;

/** One compressed member, in a buffer of its own exact size (zlib's output slices a 16 KiB chunk). */
export function gzipMember(bytes: Buffer): Buffer {
  const member = gzipSync(bytes, MEMBER_OPTIONS);
  const own = Buffer.allocUnsafeSlow(member.length);
  member.copy(own);
  return own;
}

/**
 * A member holding `bytes` uncompressed in stored deflate blocks (RFC 1951 §3.2.4), as parts to send in order:
 * up to 64 KiB the piece itself is one of them (no copy), only the framing is new.
 */
export function storedMember(bytes: Buffer): Buffer[] {
  if (bytes.length > STORED_BLOCK_MAX) return [storedMemberCopy(bytes)];
  const head = Buffer.allocUnsafe(HEADER.length + 5);
  HEADER.copy(head, 0);
  head[HEADER.length] = 1; // BFINAL, BTYPE 00 (stored)
  head.writeUInt16LE(bytes.length, HEADER.length + 1);
  head.writeUInt16LE(~bytes.length & 0xffff, HEADER.length + 3);
  return [head, bytes, trailer(bytes)];
}

function trailer(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32LE(crc32(bytes), 0);
  out.writeUInt32LE(bytes.length >>> 0, 4);
  return out;
}

function storedMemberCopy(bytes: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(bytes.length / STORED_BLOCK_MAX));
  const out = Buffer.allocUnsafeSlow(HEADER.length + blocks * 5 + bytes.length + 8);
  let at = HEADER.copy(out, 0);
  for (let block = 0, from = 0; block < blocks; block++) {
    const length = Math.min(STORED_BLOCK_MAX, bytes.length - from);
    out[at++] = block === blocks - 1 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
    out.writeUInt16LE(length, at);
    out.writeUInt16LE(~length & 0xffff, at + 2);
    at += 4;
    at += bytes.copy(out, at, from, from + length);
    from += length;
  }
  out.writeUInt32LE(crc32(bytes), at);
  out.writeUInt32LE(bytes.length >>> 0, at + 4);
  return out;
}

/** A piece waiting for compression: `done` keeps the member; `obsolete` once the piece was re-rendered. */
export interface PendingPiece {
  bytes: Buffer;
  obsolete(): boolean;
  done(member: Buffer): void;
}

/**
 * Compresses pieces in the background, `sliceMs` of work per event-loop turn (setImmediate between slices,
 * so API requests and store flushes interleave). Pieces queued twice are compressed once per queueing.
 */
export class BackgroundCompressor {
  private queue: PendingPiece[] = [];
  private running = false;

  constructor(private readonly sliceMs = 10) {}

  add(piece: PendingPiece): void {
    this.queue.push(piece);
    if (!this.running) {
      this.running = true;
      setImmediate(() => this.slice());
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  private slice(): void {
    const until = performance.now() + this.sliceMs;
    let next = 0;
    while (next < this.queue.length && performance.now() < until) {
      const piece = this.queue[next++]!;
      if (!piece.obsolete()) piece.done(gzipMember(piece.bytes));
    }
    this.queue = this.queue.slice(next);
    if (this.queue.length === 0) this.running = false;
    else setImmediate(() => this.slice());
  }
}
