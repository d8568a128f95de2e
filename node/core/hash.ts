/**
 * Hash functions and the merkle tree. Pure: only @noble/hashes.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';

export const HASH_LEN = 32;

export { sha256 };

const nobleSha256d = (data: Uint8Array): Uint8Array => sha256(sha256(data));
let sha256dImpl = nobleSha256d;

/** Double SHA-256, as Bitcoin uses for ids and proof of work (length-extension safe). */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256dImpl(data);
}

/**
 * Lets an outer ring supply a faster double SHA-256 (node:crypto; the core stays platform-neutral).
 * The candidate must agree with noble on a few inputs or it is refused (returns false).
 */
export function useSha256d(fn: (data: Uint8Array) => Uint8Array): boolean {
  for (const n of [0, 1, 55, 56, 64, 92, 190, 1000]) {
    const d = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
    const a = fn(d);
    const b = nobleSha256d(d);
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) return false;
  }
  sha256dImpl = fn;
  return true;
}

export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data));
}

/**
 * Bitcoin-style merkle root over 32-byte leaves: pairs are hashed with sha256d, an odd node is paired
 * with itself. `mutated` reports two identical siblings at any level: that is the CVE-2012-2459 trick
 * where [a,b,c] and [a,b,c,c] share a root, so a block whose tree is mutated must be rejected.
 */
export function merkleRoot(leaves: readonly Uint8Array[]): { root: Uint8Array; mutated: boolean } {
  if (leaves.length === 0) return { root: new Uint8Array(HASH_LEN), mutated: false };
  let level = leaves.slice();
  let mutated = false;
  const pair = new Uint8Array(HASH_LEN * 2);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1] ?? left;
      if (i + 1 < level.length && equal32(left, right)) mutated = true;
      pair.set(left, 0);
      pair.set(right, HASH_LEN);
      next.push(sha256d(pair));
    }
    level = next;
  }
  return { root: level[0]!, mutated };
}

function equal32(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < HASH_LEN; i++) if (a[i] !== b[i]) return false;
  return true;
}
