/**
 * AddrBook: the in-memory table of known peer addresses and the policy over it, after Bitcoin Core's
 * addrman. It bounds the table and what any one source may put in it (one peer flooding 10,000 addresses
 * holds at most `maxPerSource` slots, so it cannot eclipse us), picks addresses to dial (tried ones
 * preferred, new ones still explored, exponential backoff after failures), forgets dead addresses,
 * answers getaddr with a random sample, and keeps bans.
 *
 * Bans are keyed by nodeId when known, else by host:port, or by a bare non-loopback IP (the peer manager
 * "discourages" the IP of a banned remote peer); never by a loopback IP: a local testnet runs many honest
 * nodes on 127.0.0.1 and banning the IP would ban them all. An id ban is stamped only on entries where our
 * own dial proved that id. Entries are capped per source, per source netgroup and per address netgroup.
 *
 * PURE: no I/O, no timers, no Date.now, no Math.random; the clock and randomness are injected. Changes are
 * collected as dirty keys and handed out by `takeChanges()` for the caller to persist (see PeerTable).
 * Imports only storage/peer-layout (record types, no `level`), ./addr-policy, ./addr-check, ./addr-caps,
 * ./addr-evict, ./addr-select, ./addr-ban-stamp, ./ban-list and core/errors.
 */
import { NodeError } from '../../core/errors.js';
import { type AddrEntry, type BanRecord, type PeerAddr, isNodeId, peerKey } from '../../storage/peer-layout.js';
import { AddrCaps } from './addr-caps.js';
import { dropClaims, stampBan } from './addr-ban-stamp.js';
import { type AddrCheck, checkAddr } from './addr-check.js';
import { findVictim, isStampedBanned } from './addr-evict.js';
import { pickToDial, sampleForGetaddr } from './addr-select.js';
import { BanList } from './ban-list.js';
import {
  ADDR_BOOK_DEFAULTS,
  type AddResult,
  type AddrBookChanges,
  type AddrBookOptions,
  DEFAULT_BAN_MS,
  SEEN_GRANULARITY_MS,
  backoffMs,
  canonicalHost,
  isRoutableHost,
  stripUndefined,
} from './addr-policy.js';

export type { AddrEntry, BanRecord, PeerAddr } from '../../storage/peer-layout.js';
export { isNodeId, peerKey } from '../../storage/peer-layout.js';
export * from './addr-policy.js';

const copy = (e: AddrEntry): AddrEntry => ({ ...e });

export class AddrBook {
  private readonly o: Required<Omit<AddrBookOptions, 'selfNodeId' | 'selfAddrs'>>;
  private readonly uncapped: Set<string>;
  private readonly entries = new Map<string, AddrEntry>();
  /** Per-source and per-netgroup counts and caps. */
  private readonly caps: AddrCaps;
  private readonly bans = new BanList();
  private readonly connected = new Set<string>();
  private readonly selfKeys = new Set<string>();
  private selfNodeId: string | undefined;
  private readonly dirtyEntries = new Set<string>();

  /** @throws NodeError INVALID_ARGUMENT when clock or random is missing. */
  constructor(opts: AddrBookOptions) {
    if (typeof opts.clock !== 'function' || typeof opts.random !== 'function')
      throw new NodeError('INVALID_ARGUMENT', 'AddrBook needs an injected clock and random');
    this.o = { ...ADDR_BOOK_DEFAULTS, isAcceptableHost: isRoutableHost, ...stripUndefined(opts) } as typeof this.o;
    this.uncapped = new Set(this.o.uncappedSources);
    this.caps = new AddrCaps(this.uncapped, this.o);
    this.setSelf(opts.selfNodeId, opts.selfAddrs ?? []);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): AddrEntry | undefined {
    const e = this.entries.get(key);
    return e && copy(e);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  all(): AddrEntry[] {
    return [...this.entries.values()].map(copy);
  }

  /** How many present entries `source` added. */
  countBySource(source: string): number {
    return this.caps.countBySource(source);
  }

  /** Our own node id and listening addresses: never stored, never dialled. Removes matching entries. */
  setSelf(nodeId: string | undefined, addrs: readonly { host: string; port: number }[]): void {
    if (nodeId !== undefined) this.selfNodeId = nodeId;
    for (const a of addrs) this.selfKeys.add(peerKey(a));
    for (const [key, e] of this.entries) if (this.isSelf(key, e.nodeId)) this.removeEntry(key);
  }

  /** Connected entries are never evicted nor forgotten, and are not offered by `select`. */
  setConnected(key: string, connected: boolean): void {
    if (connected) this.connected.add(key);
    else this.connected.delete(key);
  }

  /**
   * Learns an address from `source` (whose connection is in netgroup `sourceGroup`, when known). `seenAt`
   * is the advertised last-seen time, clamped to now (a peer cannot make its addresses look fresher than fresh).
   * Returns a rejection value for junk, our own address, a banned address, a source or source group over its
   * cap, an address group over its cap, or a full table where every entry is protected.
   */
  add(addr: PeerAddr, source: string, seenAt?: number, sourceGroup?: string): AddResult {
    const now = this.o.clock();
    const checked = this.check(addr, source);
    if (!checked.ok) return checked;
    const { host, port, nodeId } = checked;
    const key = peerKey({ host, port });
    if (this.isBanned(key, now) || (nodeId !== undefined && this.isBanned(nodeId, now))) return { ok: false, reason: 'banned' };
    const seen = seenAt !== undefined && Number.isFinite(seenAt) && seenAt >= 0 ? Math.min(Math.floor(seenAt), now) : now;
    const existing = this.entries.get(key);
    if (existing) {
      if (seen >= existing.lastSeen + SEEN_GRANULARITY_MS) {
        existing.lastSeen = seen;
        this.dirtyEntries.add(key);
      }
      // An advertised id never overwrites one already held: only a handshake (markSuccess) replaces it.
      if (existing.nodeId === undefined && nodeId !== undefined) {
        existing.nodeId = nodeId;
        this.restamp(existing);
        this.dirtyEntries.add(key);
      }
      return { ok: true, entry: copy(existing), isNew: false };
    }
    const limit = this.caps.limitReached(source, sourceGroup, host);
    if (limit !== undefined) return { ok: false, reason: limit };
    this.caps.setSourceGroup(key, source, sourceGroup);
    const entry: AddrEntry = { host, port, verified: false, source, firstSeen: now, lastSeen: seen, lastAttempt: 0, lastSuccess: 0, failures: 0 };
    if (nodeId !== undefined) entry.nodeId = nodeId;
    if (!this.insert(entry, now)) {
      this.caps.clearSourceGroup(key);
      return { ok: false, reason: 'table-full' };
    }
    return { ok: true, entry: copy(entry), isNew: true };
  }

  /** Records the start of a dial. Returns false for an unknown key. */
  markAttempt(key: string, now = this.o.clock()): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    e.lastAttempt = now;
    this.dirtyEntries.add(key);
    return true;
  }

  /**
   * A handshake at `addr` proved `nodeId`: the entry becomes verified (created with source 'self' if new),
   * its failures reset. Reaching our own node id records the address as ours and removes it.
   * @throws NodeError INVALID_ARGUMENT when nodeId is not the hex of a compressed public key.
   */
  markSuccess(addr: { host: string; port: number }, nodeId: string, now = this.o.clock()): AddResult {
    if (!isNodeId(nodeId)) throw new NodeError('INVALID_ARGUMENT', `markSuccess: bad nodeId ${nodeId}`);
    const key = peerKey({ host: canonicalHost(addr.host), port: addr.port });
    if (nodeId === this.selfNodeId) {
      this.setSelf(undefined, [addr]);
      return { ok: false, reason: 'self-address' };
    }
    let e = this.entries.get(key);
    if (!e) {
      const checked = this.check(addr, 'self');
      if (!checked.ok) return checked;
      e = { host: checked.host, port: checked.port, verified: false, source: 'self', firstSeen: now, lastSeen: now, lastAttempt: now, lastSuccess: 0, failures: 0 };
      if (!this.insert(e, now)) return { ok: false, reason: 'table-full' };
    }
    e.nodeId = nodeId;
    e.verified = true;
    e.lastSuccess = now;
    e.lastSeen = Math.max(e.lastSeen, now);
    e.failures = 0;
    this.restamp(e);
    this.dirtyEntries.add(key);
    return { ok: true, entry: copy(e), isNew: false };
  }

  /**
   * A dial or handshake at `key` failed. After `maxFailures` consecutive failures and no success within
   * `forgetAfterMs` the entry is forgotten (operator-added and connected entries are kept).
   */
  markFailure(key: string, now = this.o.clock()): 'unknown' | 'recorded' | 'forgotten' {
    const e = this.entries.get(key);
    if (!e) return 'unknown';
    e.failures += 1;
    e.lastAttempt = now;
    this.dirtyEntries.add(key);
    const stale = e.lastSuccess === 0 || now - e.lastSuccess >= this.o.forgetAfterMs;
    if (e.failures >= this.o.maxFailures && stale && !this.connected.has(key) && !this.uncapped.has(e.source)) {
      this.removeEntry(key);
      return 'forgotten';
    }
    return 'recorded';
  }

  /** True while `entry` waits out its backoff after failures. */
  isInBackoff(entry: AddrEntry, now = this.o.clock()): boolean {
    return entry.failures > 0 && now < entry.lastAttempt + backoffMs(entry.failures, this.o.backoffBaseMs, this.o.backoffMaxMs);
  }

  remove(key: string): boolean {
    if (!this.entries.has(key)) return false;
    this.removeEntry(key);
    return true;
  }

  /**
   * Bans `key` (a nodeId, or "host:port" when the id is unknown) until now + durationMs; a longer existing
   * ban is kept. Entries with that id or address are stamped.
   * @throws NodeError INVALID_ARGUMENT for a bare IP or other malformed key, or a non-positive duration.
   */
  ban(key: string, reason: string, durationMs = DEFAULT_BAN_MS, now = this.o.clock()): BanRecord {
    const record = this.bans.ban(key, reason, durationMs, now);
    if (isNodeId(key)) for (const claimed of dropClaims(this.entries, key)) this.dirtyEntries.add(claimed);
    this.restampMatching(key);
    return record;
  }

  unban(key: string): boolean {
    if (!this.bans.unban(key)) return false;
    this.restampMatching(key);
    return true;
  }

  /** True while a ban on exactly this key (nodeId or host:port) is in force. */
  isBanned(key: string, now = this.o.clock()): boolean {
    return this.bans.isBanned(key, now);
  }

  /** True when the address or the id it claims is banned. */
  isAddrBanned(addr: PeerAddr, now = this.o.clock()): boolean {
    return this.isBanned(peerKey(addr), now) || (addr.nodeId !== undefined && this.isBanned(addr.nodeId, now));
  }

  listBans(now = this.o.clock()): BanRecord[] {
    return this.bans.list(now);
  }

  /** Drops bans that have run out and clears their stamps. Returns how many expired. */
  expireBans(now = this.o.clock()): number {
    return this.bans.expire(now, (key) => this.restampMatching(key));
  }

  /**
   * Up to `count` distinct addresses to dial, never banned, in backoff, connected, ours, or in `exclude`
   * (host:port keys or nodeIds). Each pick comes from the tried entries with probability `triedBias`
   * (else from new ones, so fresh addresses are still explored), weighted down by past failures.
   */
  select(count: number, exclude: ReadonlySet<string> = new Set(), now = this.o.clock()): AddrEntry[] {
    const isSkipped = (key: string, e: AddrEntry): boolean =>
      exclude.has(key) || (e.nodeId !== undefined && exclude.has(e.nodeId)) ||
      this.connected.has(key) || isStampedBanned(e, now) || this.isInBackoff(e, now);
    return pickToDial(this.entries, count, isSkipped, this.o.triedBias, this.o.random).map(copy);
  }

  /**
   * A random subset for a getaddr answer (at most `sampleMax`): no banned entries, and no never-successful
   * unverified entries unseen for `sampleHorizonMs`, so we do not launder junk we were told.
   */
  sample(count: number, now = this.o.clock()): AddrEntry[] {
    return sampleForGetaddr(this.entries.values(), count, this.o, this.o.random, now).map(copy);
  }

  /**
   * Restores persisted state. Bans already expired and entries that no longer pass the checks (another
   * network's hosts, our own address, over the bound) are dropped and reported for deletion.
   */
  load(entries: readonly AddrEntry[], bans: readonly BanRecord[], now = this.o.clock()): { loaded: number; dropped: string[] } {
    this.bans.load(bans, now);
    const dropped: string[] = [];
    for (const stored of entries) {
      const key = peerKey(stored);
      const checked = this.check(stored, stored.source);
      if (!checked.ok || this.entries.has(key) || this.entries.size >= this.o.maxEntries || checked.host !== stored.host) {
        dropped.push(key);
        this.dirtyEntries.add(key);
        continue;
      }
      const e = copy(stored);
      // The stamp is a copy of the ban; if the ban record itself was lost, the stamp restores it.
      if (e.bannedUntil !== undefined && e.bannedUntil > now) {
        const banKey = e.nodeId ?? key;
        if (!this.isBanned(banKey, now) && !this.isBanned(key, now)) {
          this.bans.restore(banKey, e.bannedUntil, e.banReason ?? '');
        }
      }
      this.entries.set(key, e);
      this.caps.count(key, e);
    }
    for (const e of this.entries.values()) this.restamp(e);
    return { loaded: this.entries.size, dropped };
  }

  /** Hands out and clears what changed since the last call. */
  takeChanges(): AddrBookChanges {
    const changes: AddrBookChanges = { upserts: [], removals: [], bans: [], unbans: [] };
    for (const key of this.dirtyEntries) {
      const e = this.entries.get(key);
      if (e) changes.upserts.push(copy(e));
      else changes.removals.push(key);
    }
    this.bans.takeChanges(changes);
    this.dirtyEntries.clear();
    return changes;
  }

  /** Marks the keys of changes that could not be persisted as dirty again; the next take has their current state. */
  requeue(changes: AddrBookChanges): void {
    for (const e of changes.upserts) this.dirtyEntries.add(peerKey(e));
    for (const key of changes.removals) this.dirtyEntries.add(key);
    this.bans.requeue(changes);
  }

  get hasChanges(): boolean {
    return this.dirtyEntries.size > 0 || this.bans.hasChanges;
  }

  // ---- internals ----

  private isSelf(key: string, nodeId: string | undefined): boolean {
    return this.selfKeys.has(key) || (nodeId !== undefined && nodeId === this.selfNodeId);
  }

  private check(addr: PeerAddr, source: string): AddrCheck {
    return checkAddr(addr, source, this.o.isAcceptableHost, (key, nodeId) => this.isSelf(key, nodeId));
  }

  /** Inserts a new entry, evicting the worst one when full. False when every entry is protected. */
  private insert(e: AddrEntry, now: number): boolean {
    if (this.entries.size >= this.o.maxEntries) {
      const victim = findVictim(this.entries, (key, e) => this.connected.has(key) || this.uncapped.has(e.source), this.o.evictProtectMs, now);
      if (victim === undefined) return false;
      this.removeEntry(victim);
    }
    const key = peerKey(e);
    this.entries.set(key, e);
    this.caps.count(key, e);
    this.restamp(e);
    this.dirtyEntries.add(key);
    return true;
  }

  private removeEntry(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.caps.uncount(key, e);
    this.connected.delete(key);
    this.dirtyEntries.add(key);
  }

  /** Brings the entry's ban stamp in step with the bans (addr-ban-stamp.ts: an id ban reaches proven ids only). */
  private restamp(e: AddrEntry): void {
    if (stampBan(e, this.bans)) this.dirtyEntries.add(peerKey(e));
  }

  private restampMatching(banKey: string): void {
    for (const [key, e] of this.entries) if (key === banKey || e.nodeId === banKey) this.restamp(e);
  }

}
