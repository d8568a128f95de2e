/**
 * BanList: the AddrBook's bans, keyed by nodeId, "host:port" or a bare non-loopback IP (never a loopback
 * IP: a local testnet runs many honest nodes on 127.0.0.1), with expiry and the keys changed since they
 * were last handed out for persisting. Stamping bans onto address entries is addr-ban-stamp.ts's job,
 * driven by the AddrBook.
 * PURE: no I/O, no clock of its own (now is passed in). Imports only storage/peer-layout, ./addr-policy
 * and core/errors.
 */
import { NodeError } from '../../core/errors.js';
import { type BanRecord, MAX_REASON_LEN, isNodeId } from '../../storage/peer-layout.js';
import { type AddrBookChanges, isHostPortKey, isIpBanKey, truncateUtf8 } from './addr-policy.js';

export class BanList {
  private readonly bans = new Map<string, BanRecord>();
  private readonly dirtyBans = new Set<string>();

  /**
   * Bans `key` until now + durationMs; a longer existing ban is kept.
   * @throws NodeError INVALID_ARGUMENT for a bare loopback IP or other malformed key, or a non-positive duration.
   */
  ban(key: string, reason: string, durationMs: number, now: number): BanRecord {
    if (!isNodeId(key) && !isHostPortKey(key) && !isIpBanKey(key))
      throw new NodeError('INVALID_ARGUMENT', `ban key must be a nodeId, host:port or a non-loopback IP: ${key}`);
    if (!Number.isSafeInteger(durationMs) || durationMs <= 0) throw new NodeError('INVALID_ARGUMENT', `ban duration must be a positive integer, got ${durationMs}`);
    const prev = this.bans.get(key);
    const record: BanRecord = { key, until: Math.max(now + durationMs, prev?.until ?? 0), reason: truncateUtf8(reason, MAX_REASON_LEN) };
    this.bans.set(key, record);
    this.dirtyBans.add(key);
    return { ...record };
  }

  unban(key: string): boolean {
    if (!this.bans.delete(key)) return false;
    this.dirtyBans.add(key);
    return true;
  }

  /** The ban record on exactly this key, expired or not (not a copy: read only). */
  get(key: string): BanRecord | undefined {
    return this.bans.get(key);
  }

  /** True while a ban on exactly this key is in force. */
  isBanned(key: string, now: number): boolean {
    const b = this.bans.get(key);
    return b !== undefined && b.until > now;
  }

  list(now: number): BanRecord[] {
    return [...this.bans.values()].filter((b) => b.until > now).map((b) => ({ ...b }));
  }

  /** Drops bans that have run out, calling `onExpired` after each. Returns how many expired. */
  expire(now: number, onExpired: (key: string) => void): number {
    let n = 0;
    for (const [key, b] of this.bans) {
      if (b.until > now) continue;
      this.bans.delete(key);
      this.dirtyBans.add(key);
      onExpired(key);
      n++;
    }
    return n;
  }

  /** Restores persisted bans; those already expired are marked for deletion. */
  load(bans: readonly BanRecord[], now: number): void {
    for (const b of bans) {
      if (b.until > now) this.bans.set(b.key, { ...b });
      else this.dirtyBans.add(b.key);
    }
  }

  /** Re-creates a ban whose record was lost from an entry's stamp. */
  restore(key: string, until: number, reason: string): void {
    this.bans.set(key, { key, until, reason });
    this.dirtyBans.add(key);
  }

  /** Moves the changed bans into `changes` (current records and removed keys) and clears them. */
  takeChanges(changes: AddrBookChanges): void {
    for (const key of this.dirtyBans) {
      const b = this.bans.get(key);
      if (b) changes.bans.push({ ...b });
      else changes.unbans.push(key);
    }
    this.dirtyBans.clear();
  }

  /** Marks the bans of changes that could not be persisted as changed again. */
  requeue(changes: AddrBookChanges): void {
    for (const b of changes.bans) this.dirtyBans.add(b.key);
    for (const key of changes.unbans) this.dirtyBans.add(key);
  }

  get hasChanges(): boolean {
    return this.dirtyBans.size > 0;
  }
}
