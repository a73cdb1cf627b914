// Subjects are split into a fixed number of shards by a hash of their id; replicas hold shards, never subjects.
// The count is fixed (it is written into the database as rows of shard_holds), so every replica, of any version,
// agrees on which shard a subject is in.

import { createHash } from 'node:crypto';

export const SHARD_COUNT = 64;

/** Subject id → the id its shard is hashed from, for configured subjects linked by dependencies. */
let groupKeys: ReadonlyMap<string, string> = new Map();

/**
 * Puts configured subjects that depend on each other (directly or through others) into one shard, hashed from the
 * smallest id of the group: a dependant is evaluated where its dependencies are, so a switch going down still
 * suppresses the hosts behind it. Every replica computes the same groups from the same config.
 */
export function setShardGroups(specs: readonly { id: string; dependsOn: readonly { id: string }[] }[]): void {
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(id, root);
    return root;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const spec of specs) {
    find(spec.id);
    for (const dependency of spec.dependsOn) union(spec.id, dependency.id);
  }
  const keys = new Map<string, string>();
  for (const id of parent.keys()) {
    const root = find(id);
    if (root !== id) keys.set(id, root);
  }
  groupKeys = keys;
}

/**
 * A digest of the current dependency groups (as a signed 64-bit decimal, for the database): when it is the one the
 * stored shard columns were computed with, only rows without a shard need one.
 */
export function shardGroupsDigest(): string {
  const text = [...groupKeys]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, root]) => `${id}\u0000${root}`)
    .join('\n');
  return createHash('sha256').update(`${SHARD_COUNT}\n${text}`).digest().readBigInt64BE().toString();
}

/** FNV-1a (32 bit) of the shard key's UTF-16 code units, modulo the shard count: cheap, stable and well spread. */
export function shardOf(subjectId: string, shardCount = SHARD_COUNT): number {
  const key = groupKeys.get(subjectId) ?? subjectId;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
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
