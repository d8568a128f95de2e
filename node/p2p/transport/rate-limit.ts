/**
 * Token-bucket rate limiting for per-peer message budgets: a bucket holds at most `burst` tokens and
 * refills at `ratePerSec`; each message takes `cost` tokens or is refused. The protocol layer keeps one
 * `RateLimiter` per peer, keyed by message family, and decides what a refusal costs the peer (drop the
 * message, add ban score, disconnect).
 *
 * Pure: the clock is injected (pass a monotonic one such as `() => performance.now()`), so tests and
 * replays are deterministic. Imports only core/errors.
 */
import { NodeError } from '../../core/errors.js';

/** Milliseconds from any fixed origin; should be monotonic. */
export type Clock = () => number;

export interface RateSpec {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Bucket capacity: the largest burst allowed after a quiet period. */
  burst: number;
}

function checkSpec(spec: RateSpec): void {
  if (!(Number.isFinite(spec.ratePerSec) && spec.ratePerSec >= 0) || !(Number.isFinite(spec.burst) && spec.burst > 0))
    throw new NodeError('INVALID_ARGUMENT', `invalid rate spec: ratePerSec ${spec.ratePerSec}, burst ${spec.burst}`);
}

export class TokenBucket {
  private level: number;
  private last: number;

  /** Starts full. @throws NodeError INVALID_ARGUMENT on a negative or non-finite rate, or a non-positive burst. */
  constructor(
    private readonly spec: RateSpec,
    private readonly clock: Clock,
  ) {
    checkSpec(spec);
    this.level = spec.burst;
    this.last = clock();
  }

  private refill(): void {
    const now = this.clock();
    // A clock that steps backwards refills nothing rather than draining or overflowing the bucket.
    const elapsed = Math.max(0, now - this.last);
    this.last = Math.max(this.last, now);
    this.level = Math.min(this.spec.burst, this.level + (elapsed * this.spec.ratePerSec) / 1000);
  }

  /** Takes `cost` tokens if available. A cost above `burst` can never be paid and always returns false. */
  take(cost = 1): boolean {
    if (!(cost >= 0)) throw new NodeError('INVALID_ARGUMENT', `invalid cost ${cost}`);
    this.refill();
    if (this.level < cost) return false;
    this.level -= cost;
    return true;
  }

  /** Tokens available now. */
  available(): number {
    this.refill();
    return this.level;
  }

  /** Milliseconds until `cost` tokens will be available (0 if they are now; Infinity if never). */
  msUntil(cost = 1): number {
    this.refill();
    if (this.level >= cost) return 0;
    if (cost > this.spec.burst || this.spec.ratePerSec === 0) return Infinity;
    return Math.ceil(((cost - this.level) * 1000) / this.spec.ratePerSec);
  }
}

/** One bucket per key (e.g. per message family) for one peer; keys without a spec are unlimited. */
export class RateLimiter<K extends string> {
  private readonly buckets = new Map<K, TokenBucket>();

  constructor(specs: Partial<Record<K, RateSpec>>, clock: Clock) {
    for (const [key, spec] of Object.entries(specs) as [K, RateSpec | undefined][])
      if (spec !== undefined) this.buckets.set(key, new TokenBucket(spec, clock));
  }

  /** False when `key` is over its budget; the caller decides what that costs the peer. */
  take(key: K, cost = 1): boolean {
    return this.buckets.get(key)?.take(cost) ?? true;
  }

  has(key: K): boolean {
    return this.buckets.has(key);
  }
}
