/**
 * Which AddrBook entry makes room when the table is full, after addrman's eviction of "terrible" entries:
 * banned first, then most failures, then never successful, then oldest lastSeen; recently verified entries
 * and the ones the caller keeps (connected, operator-added) are never chosen.
 * PURE: no I/O, no clock of its own (now is passed in). Imports only storage/peer-layout types.
 */
import type { AddrEntry } from '../../storage/peer-layout.js';

/**
 * An entry's ban stamp mirrors the ban map (restamp keeps them in step on every ban, unban, expiry, insert
 * and id change) and is cheaper to read than two key lookups, which matters in whole-table scans.
 */
export const isStampedBanned = (e: AddrEntry, now: number): boolean => e.bannedUntil !== undefined && e.bannedUntil > now;

/**
 * The entry to evict: banned first, then most failures, then never successful, then oldest lastSeen.
 * Entries `isKept` names (connected, operator-added) and those verified with a success within
 * `evictProtectMs` are never chosen. Undefined when every entry is protected.
 */
export function findVictim(
  entries: ReadonlyMap<string, AddrEntry>,
  isKept: (key: string, e: AddrEntry) => boolean,
  evictProtectMs: number,
  now: number,
): string | undefined {
  let worst: AddrEntry | undefined;
  let worstKey: string | undefined;
  for (const [key, e] of entries) {
    if (isKept(key, e)) continue;
    if (e.verified && e.lastSuccess > 0 && now - e.lastSuccess < evictProtectMs) continue;
    if (worst === undefined || isWorse(e, worst, now)) {
      worst = e;
      worstKey = key;
    }
  }
  return worstKey;
}

function isWorse(a: AddrEntry, b: AddrEntry, now: number): boolean {
  const ab = isStampedBanned(a, now);
  if (ab !== isStampedBanned(b, now)) return ab;
  if (a.failures !== b.failures) return a.failures > b.failures;
  if ((a.lastSuccess === 0) !== (b.lastSuccess === 0)) return a.lastSuccess === 0;
  return a.lastSeen < b.lastSeen;
}
