/**
 * A bounded set of signatures already verified, as Bitcoin Core's signature cache: a transaction
 * checked on entry to the mempool is not checked again when it arrives in a block. Callers key it by
 * the tx id hex; the id commits to the signing hash, the signature and the public key together, so a
 * hit means this exact signature over this exact message by this exact key verified. Add only after a
 * verification returned true: there are no negative entries, `has` means "verified". Evicts the oldest
 * entry (insertion order) when full, so a flood of transactions costs at most `maxEntries` strings.
 * Pure data structure; imports only core errors.
 */
import { NodeError } from '../core/errors.js';

export class SigCache {
  private readonly entries = new Set<string>();
  /** Lookups that found / did not find the key (read by metrics). */
  hits = 0;
  misses = 0;

  /** @throws NodeError INVALID_ARGUMENT unless maxEntries is an integer >= 1. */
  constructor(private readonly maxEntries = 100_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new NodeError('INVALID_ARGUMENT', `"maxEntries" expected an integer >= 1, got ${maxEntries}`);
  }

  /** A read: it does not refresh the entry, so lookups cannot be used to keep an entry alive. */
  has(key: string): boolean {
    const hit = this.entries.has(key);
    if (hit) this.hits++;
    else this.misses++;
    return hit;
  }

  /** Adds `key` as the newest entry (re-adding moves it to newest), evicting the oldest when full. */
  add(key: string): void {
    if (this.entries.delete(key)) {
      this.entries.add(key);
      return;
    }
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.values().next().value!);
    this.entries.add(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
