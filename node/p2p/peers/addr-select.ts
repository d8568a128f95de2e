/**
 * Which AddrBook entries are handed out: the picks to dial (tried entries preferred, new ones still
 * explored, each weighted down by past failures, as addrman's Select) and the random sample answering a
 * getaddr (no banned entries, no stale unproven ones, so we do not launder junk we were told).
 * PURE: no I/O, no clock of its own (now is passed in), randomness injected. Imports only storage/peer-layout
 * types, ./addr-policy and ./addr-evict.
 */
import type { AddrEntry } from '../../storage/peer-layout.js';
import { pickWeighted, shuffleFirst } from './addr-policy.js';
import { isStampedBanned } from './addr-evict.js';

/**
 * Up to `count` distinct entries to dial from those `isSkipped` lets through. Each pick comes from the tried
 * entries (verified or ever successful) with probability `triedBias`, else from new ones, weighted down by
 * past failures. Returns the entries themselves, not copies.
 */
export function pickToDial(
  entries: ReadonlyMap<string, AddrEntry>,
  count: number,
  isSkipped: (key: string, e: AddrEntry) => boolean,
  triedBias: number,
  random: () => number,
): AddrEntry[] {
  const tried: AddrEntry[] = [];
  const fresh: AddrEntry[] = [];
  for (const [key, e] of entries) {
    if (isSkipped(key, e)) continue;
    (e.verified || e.lastSuccess > 0 ? tried : fresh).push(e);
  }
  const out: AddrEntry[] = [];
  while (out.length < count && tried.length + fresh.length > 0) {
    const fromTried = fresh.length === 0 || (tried.length > 0 && random() < triedBias);
    out.push(pickWeighted(fromTried ? tried : fresh, random));
  }
  return out;
}

/**
 * A uniform random subset of at most min(count, sampleMax) entries: no banned entries, and no never-successful
 * unverified entries unseen for `sampleHorizonMs`. Returns the entries themselves, not copies.
 */
export function sampleForGetaddr(
  entries: Iterable<AddrEntry>,
  count: number,
  o: { sampleMax: number; sampleHorizonMs: number },
  random: () => number,
  now: number,
): AddrEntry[] {
  const pool = [...entries].filter(
    (e) => !isStampedBanned(e, now) && (e.verified || e.lastSuccess > 0 || now - e.lastSeen <= o.sampleHorizonMs),
  );
  const n = Math.max(0, Math.min(count, o.sampleMax, pool.length));
  return shuffleFirst(pool, n, random);
}
