// Subjects are split into a fixed number of shards by a hash of their id; replicas hold shards, never subjects.
// The count is fixed (it is written into the database as rows of shard_holds), so every replica, of any version,
// agrees on which shard a subject is in.

export const SHARD_COUNT = 64;

/** FNV-1a (32 bit) of the id's UTF-16 code units, modulo the shard count: cheap, stable and well spread. */
export function shardOf(subjectId: string, shardCount = SHARD_COUNT): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < subjectId.length; i++) {
    hash ^= subjectId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shardCount;
}

/**
 * How many shards each live replica should hold: the count divided evenly, the remainder going to the first
 * replicas in id order. Every replica computes the same answer from the same membership, so they converge
 * without talking to each other.
 */
export function fairShare(replicaIds: readonly string[], self: string, shardCount = SHARD_COUNT): number {
  const sorted = [...new Set([...replicaIds, self])].sort();
  const base = Math.floor(shardCount / sorted.length);
  return base + (sorted.indexOf(self) < shardCount % sorted.length ? 1 : 0);
}
