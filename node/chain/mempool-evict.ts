/**
 * Mempool eviction: when the pool is over its count or byte bound, the lowest fee-rate transaction at
 * the tail of some sender's chain makes room (a tail, so no chain is left with a gap). Pure: picks
 * the victims, the mempool removes them. Imports sibling chain modules only.
 */
import { PoolEntry, minesBefore } from './mempool-entry.js';
import { compareFeeRate } from './policy.js';

/**
 * The cheapest chain tails of `bySender` to evict until `count` and `bytes` fit `maxCount` and
 * `maxBytes`, or undefined when `newcomer` does not strictly beat each of them (so the newcomer, not
 * an incumbent, is the one refused). The newcomer's own sender is never a victim: its tail is the
 * newcomer's predecessor, removing it leaves a gap. Linear in the number of senders, and only when
 * the pool is full.
 */
export function pickVictims(
  bySender: ReadonlyMap<string, PoolEntry[]>,
  maxCount: number,
  maxBytes: number,
  count: number,
  bytes: number,
  newcomer?: PoolEntry,
): PoolEntry[] | undefined {
  if (count <= maxCount && bytes <= maxBytes) return [];
  const tails = new Map<string, number>();
  for (const [s, chain] of bySender) if (s !== newcomer?.senderHex) tails.set(s, chain.length - 1);
  const victims: PoolEntry[] = [];
  while (count > maxCount || bytes > maxBytes) {
    let worst: PoolEntry | undefined;
    for (const [s, i] of tails) {
      const c = i >= 0 ? bySender.get(s)![i]! : undefined;
      if (c && (!worst || minesBefore(worst, c))) worst = c;
    }
    if (!worst || (newcomer && compareFeeRate(newcomer, worst) >= 0)) return undefined;
    victims.push(worst);
    tails.set(worst.senderHex, tails.get(worst.senderHex)! - 1);
    count--;
    bytes -= worst.size;
  }
  return victims;
}
