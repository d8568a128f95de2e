/**
 * The AddrBook's ban stamps: each entry carries a copy of the strongest ban in force on its address or on
 * the id it proved, and the rule that keeps a peer's id ban from reaching addresses it merely claimed
 * (the hijack of issue #8). The AddrBook calls these on every ban, unban, expiry, insert and id change
 * and persists what they report as changed.
 * PURE: no I/O, no clock. Imports only storage/peer-layout and ./ban-list.
 */
import { type AddrEntry, peerKey } from '../../storage/peer-layout.js';
import type { BanList } from './ban-list.js';

/**
 * Copies the strongest ban on the entry's id or address onto it (or clears the stamp). A ban on a nodeId
 * reaches only entries where our own dial proved that id (verified): an id claimed for an address is a
 * claim, and stamping it would let a misbehaving peer get an honest node's address banned.
 * Returns true when the stamp changed.
 */
export function stampBan(e: AddrEntry, bans: BanList): boolean {
  const byAddr = bans.get(peerKey(e));
  const byId = e.nodeId !== undefined && e.verified ? bans.get(e.nodeId) : undefined;
  const b = byAddr && byId ? (byAddr.until >= byId.until ? byAddr : byId) : (byAddr ?? byId);
  if (b?.until === e.bannedUntil && b?.reason === e.banReason) return false;
  if (b) {
    e.bannedUntil = b.until;
    e.banReason = b.reason;
  } else {
    delete e.bannedUntil;
    delete e.banReason;
  }
  return true;
}

/**
 * A banned id's claims on addresses it never proved (unverified entries) are discredited: the address
 * stays, dialable, with no id, so a peer that claimed an honest node's address and then misbehaved
 * cannot get that address refused (the hijack of issue #8). Returns the keys of the entries changed.
 */
export function dropClaims(entries: ReadonlyMap<string, AddrEntry>, nodeId: string): string[] {
  const changed: string[] = [];
  for (const [key, e] of entries) {
    if (e.verified || e.nodeId !== nodeId) continue;
    delete e.nodeId;
    changed.push(key);
  }
  return changed;
}
