/**
 * Relay rate limit for replacements, per sender: each sender account has a token bucket of
 * REPLACEMENT_RELAY_BURST replacements refilled at one per REPLACEMENT_RELAY_INTERVAL_MS. A replacement
 * over the budget is still accepted into our mempool (it pays more) but is not announced; peers that ask
 * later still get it through the periodic mempool offer. So a sender bumping one nonce 300 times costs the
 * network a handful of relays, not 300 (issue #8, item 5).
 *
 * Bounded: at most MAX_TRACKED_SENDERS buckets; the least recently used is forgotten first (a forgotten
 * sender starts with a full bucket, which is the state it would reach after a quiet period anyway).
 * Pure apart from the injected clock. Imports transport/rate-limit only.
 */
import { TokenBucket } from '../transport/rate-limit.js';

export const REPLACEMENT_RELAY_BURST = 2;
export const REPLACEMENT_RELAY_INTERVAL_MS = 30_000;
export const MAX_TRACKED_SENDERS = 10_000;

export class ReplacementRelayLimit {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly clock: () => number,
    private readonly maxSenders = MAX_TRACKED_SENDERS,
  ) {}

  /** Whether a replacement by `sender` (hex) may be announced now; takes a token when it may. */
  allow(sender: string): boolean {
    let b = this.buckets.get(sender);
    if (b) this.buckets.delete(sender);
    else b = new TokenBucket({ ratePerSec: 1000 / REPLACEMENT_RELAY_INTERVAL_MS, burst: REPLACEMENT_RELAY_BURST }, this.clock);
    this.buckets.set(sender, b); // most recently used last
    if (this.buckets.size > this.maxSenders) this.buckets.delete(this.buckets.keys().next().value!);
    return b.take(1);
  }

  get size(): number {
    return this.buckets.size;
  }
}
