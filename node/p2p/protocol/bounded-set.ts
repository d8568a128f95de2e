/**
 * A set of strings with a hard size bound that forgets its oldest insertions first (a FIFO "rolling"
 * filter, in the spirit of Bitcoin Core's CRollingBloomFilter but exact). Used for per-peer known
 * inventory and the relay's seen/rejected caches: whatever a peer sends, memory stays bounded.
 *
 * Every operation is O(1). The insertion order lives in a ring of slots, not in the Map's own order:
 * finding the oldest entry of a churning JS Map/Set by iterating from its start skips every deleted
 * entry still held there, which turns a flood of insertions quadratic (measured: seconds of blocked
 * event loop during an inv flood).
 *
 * Pure: no I/O, no timers.
 */
import { NodeError } from '../../core/errors.js';

export class BoundedSet {
  /** key -> the ring slot holding its latest insertion. */
  private readonly slots = new Map<string, number>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  /** @throws NodeError INVALID_ARGUMENT when `max` is not a positive integer. */
  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max <= 0) throw new NodeError('INVALID_ARGUMENT', `BoundedSet max must be a positive integer, got ${max}`);
    this.ring = new Array<string | undefined>(max);
  }

  get size(): number {
    return this.slots.size;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** Adds `key` (as the newest entry, also if present); evicts the oldest entry beyond `max`. */
  add(key: string): void {
    const slot = this.next;
    this.next = (slot + 1) % this.max;
    const old = this.ring[slot];
    // The slot's previous key is evicted only if this slot is still its latest insertion.
    if (old !== undefined && this.slots.get(old) === slot) this.slots.delete(old);
    const prev = this.slots.get(key);
    if (prev !== undefined) this.ring[prev] = undefined;
    this.ring[slot] = key;
    this.slots.set(key, slot);
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.ring[slot] = undefined;
    return this.slots.delete(key);
  }

  clear(): void {
    this.slots.clear();
    this.ring.fill(undefined);
    this.next = 0;
  }
}
