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
 * Imports only storage/peer-layout (record types, no `level`), ./addr-policy and core/errors.
 */
import { NodeError } from '../../core/errors.js';
import { type AddrEntry, type BanRecord, MAX_HOST_LEN, MAX_REASON_LEN, MAX_SOURCE_LEN, type PeerAddr, isNodeId, peerKey } from '../../storage/peer-layout.js';
import { netgroup } from './net-address.js';
import {
  ADDR_BOOK_DEFAULTS,
  type AddRejectReason,
  type AddResult,
  type AddrBookChanges,
  type AddrBookOptions,
  DEFAULT_BAN_MS,
  SEEN_GRANULARITY_MS,
  backoffMs,
  canonicalHost,
  isHostPortKey,
  isIpBanKey,
  isRoutableHost,
  pickWeighted,
  shuffleFirst,
  stripUndefined,
  truncateUtf8,
} from './addr-policy.js';

export type { AddrEntry, BanRecord, PeerAddr } from '../../storage/peer-layout.js';
export { isNodeId, peerKey } from '../../storage/peer-layout.js';
export * from './addr-policy.js';

const copy = (e: AddrEntry): AddrEntry => ({ ...e });

/**
 * An entry's ban stamp mirrors the ban map (restamp keeps them in step on every ban, unban, expiry, insert
 * and id change) and is cheaper to read than two key lookups, which matters in whole-table scans.
 */
const isStampedBanned = (e: AddrEntry, now: number): boolean => e.bannedUntil !== undefined && e.bannedUntil > now;

/** The address netgroup an entry counts against, or undefined for loopback (one machine: no diversity to keep). */
function addrGroup(host: string): string | undefined {
  const g = netgroup(host);
  return g.startsWith('lo:') ? undefined : g;
}

export class AddrBook {
  private readonly o: Required<Omit<AddrBookOptions, 'selfNodeId' | 'selfAddrs'>>;
  private readonly uncapped: Set<string>;
  private readonly entries = new Map<string, AddrEntry>();
  private readonly bySource = new Map<string, number>();
  /** Entries per source netgroup (only those added with a known source group) and per address netgroup. */
  private readonly bySourceGroup = new Map<string, number>();
  private readonly byAddrGroup = new Map<string, number>();
  /** key -> source netgroup of the peer that told us, for the entries that have one. */
  private readonly sourceGroupOf = new Map<string, string>();
  private readonly bans = new Map<string, BanRecord>();
  private readonly connected = new Set<string>();
  private readonly selfKeys = new Set<string>();
  private selfNodeId: string | undefined;
  private readonly dirtyEntries = new Set<string>();
  private readonly dirtyBans = new Set<string>();

  /** @throws NodeError INVALID_ARGUMENT when clock or random is missing. */
  constructor(opts: AddrBookOptions) {
    if (typeof opts.clock !== 'function' || typeof opts.random !== 'function')
      throw new NodeError('INVALID_ARGUMENT', 'AddrBook needs an injected clock and random');
    this.o = { ...ADDR_BOOK_DEFAULTS, isAcceptableHost: isRoutableHost, ...stripUndefined(opts) } as typeof this.o;
    this.uncapped = new Set(this.o.uncappedSources);
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
    return this.bySource.get(source) ?? 0;
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
    if (!this.uncapped.has(source)) {
      if (this.countBySource(source) >= this.o.maxPerSource) return { ok: false, reason: 'source-limit' };
      if (sourceGroup !== undefined && (this.bySourceGroup.get(sourceGroup) ?? 0) >= this.o.maxPerSourceGroup) return { ok: false, reason: 'group-limit' };
      const ag = addrGroup(host);
      if (ag !== undefined && (this.byAddrGroup.get(ag) ?? 0) >= this.o.maxPerAddrGroup) return { ok: false, reason: 'group-limit' };
    }
    if (sourceGroup !== undefined && !this.uncapped.has(source)) this.sourceGroupOf.set(key, sourceGroup);
    const entry: AddrEntry = { host, port, verified: false, source, firstSeen: now, lastSeen: seen, lastAttempt: 0, lastSuccess: 0, failures: 0 };
    if (nodeId !== undefined) entry.nodeId = nodeId;
    if (!this.insert(entry, now)) {
      this.sourceGroupOf.delete(key);
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
    if (!isNodeId(key) && !isHostPortKey(key) && !isIpBanKey(key))
      throw new NodeError('INVALID_ARGUMENT', `ban key must be a nodeId, host:port or a non-loopback IP: ${key}`);
    if (!Number.isSafeInteger(durationMs) || durationMs <= 0) throw new NodeError('INVALID_ARGUMENT', `ban duration must be a positive integer, got ${durationMs}`);
    const prev = this.bans.get(key);
    const record: BanRecord = { key, until: Math.max(now + durationMs, prev?.until ?? 0), reason: truncateUtf8(reason, MAX_REASON_LEN) };
    this.bans.set(key, record);
    this.dirtyBans.add(key);
    if (isNodeId(key)) this.dropClaims(key);
    this.restampMatching(key);
    return { ...record };
  }

  unban(key: string): boolean {
    if (!this.bans.delete(key)) return false;
    this.dirtyBans.add(key);
    this.restampMatching(key);
    return true;
  }

  /** True while a ban on exactly this key (nodeId or host:port) is in force. */
  isBanned(key: string, now = this.o.clock()): boolean {
    const b = this.bans.get(key);
    return b !== undefined && b.until > now;
  }

  /** True when the address or the id it claims is banned. */
  isAddrBanned(addr: PeerAddr, now = this.o.clock()): boolean {
    return this.isBanned(peerKey(addr), now) || (addr.nodeId !== undefined && this.isBanned(addr.nodeId, now));
  }

  listBans(now = this.o.clock()): BanRecord[] {
    return [...this.bans.values()].filter((b) => b.until > now).map((b) => ({ ...b }));
  }

  /** Drops bans that have run out and clears their stamps. Returns how many expired. */
  expireBans(now = this.o.clock()): number {
    let n = 0;
    for (const [key, b] of this.bans) {
      if (b.until > now) continue;
      this.bans.delete(key);
      this.dirtyBans.add(key);
      this.restampMatching(key);
      n++;
    }
    return n;
  }

  /**
   * Up to `count` distinct addresses to dial, never banned, in backoff, connected, ours, or in `exclude`
   * (host:port keys or nodeIds). Each pick comes from the tried entries with probability `triedBias`
   * (else from new ones, so fresh addresses are still explored), weighted down by past failures.
   */
  select(count: number, exclude: ReadonlySet<string> = new Set(), now = this.o.clock()): AddrEntry[] {
    const tried: AddrEntry[] = [];
    const fresh: AddrEntry[] = [];
    for (const [key, e] of this.entries) {
      if (exclude.has(key) || (e.nodeId !== undefined && exclude.has(e.nodeId))) continue;
      if (this.connected.has(key) || isStampedBanned(e, now) || this.isInBackoff(e, now)) continue;
      (e.verified || e.lastSuccess > 0 ? tried : fresh).push(e);
    }
    const out: AddrEntry[] = [];
    while (out.length < count && tried.length + fresh.length > 0) {
      const fromTried = fresh.length === 0 || (tried.length > 0 && this.o.random() < this.o.triedBias);
      out.push(copy(pickWeighted(fromTried ? tried : fresh, this.o.random)));
    }
    return out;
  }

  /**
   * A random subset for a getaddr answer (at most `sampleMax`): no banned entries, and no never-successful
   * unverified entries unseen for `sampleHorizonMs`, so we do not launder junk we were told.
   */
  sample(count: number, now = this.o.clock()): AddrEntry[] {
    const pool = [...this.entries.values()].filter(
      (e) => !isStampedBanned(e, now) && (e.verified || e.lastSuccess > 0 || now - e.lastSeen <= this.o.sampleHorizonMs),
    );
    const n = Math.max(0, Math.min(count, this.o.sampleMax, pool.length));
    return shuffleFirst(pool, n, this.o.random).map(copy);
  }

  /**
   * Restores persisted state. Bans already expired and entries that no longer pass the checks (another
   * network's hosts, our own address, over the bound) are dropped and reported for deletion.
   */
  load(entries: readonly AddrEntry[], bans: readonly BanRecord[], now = this.o.clock()): { loaded: number; dropped: string[] } {
    for (const b of bans) {
      if (b.until > now) this.bans.set(b.key, { ...b });
      else this.dirtyBans.add(b.key);
    }
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
          this.bans.set(banKey, { key: banKey, until: e.bannedUntil, reason: e.banReason ?? '' });
          this.dirtyBans.add(banKey);
        }
      }
      this.entries.set(key, e);
      this.bySource.set(e.source, this.countBySource(e.source) + 1);
      this.countGroups(key, e, 1);
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
    for (const key of this.dirtyBans) {
      const b = this.bans.get(key);
      if (b) changes.bans.push({ ...b });
      else changes.unbans.push(key);
    }
    this.dirtyEntries.clear();
    this.dirtyBans.clear();
    return changes;
  }

  /** Marks the keys of changes that could not be persisted as dirty again; the next take has their current state. */
  requeue(changes: AddrBookChanges): void {
    for (const e of changes.upserts) this.dirtyEntries.add(peerKey(e));
    for (const key of changes.removals) this.dirtyEntries.add(key);
    for (const b of changes.bans) this.dirtyBans.add(b.key);
    for (const key of changes.unbans) this.dirtyBans.add(key);
  }

  get hasChanges(): boolean {
    return this.dirtyEntries.size + this.dirtyBans.size > 0;
  }

  // ---- internals ----

  private isSelf(key: string, nodeId: string | undefined): boolean {
    return this.selfKeys.has(key) || (nodeId !== undefined && nodeId === this.selfNodeId);
  }

  private check(addr: PeerAddr, source: string): { ok: true; host: string; port: number; nodeId?: string } | { ok: false; reason: AddRejectReason } {
    const host = typeof addr.host === 'string' ? canonicalHost(addr.host) : '';
    if (host.length === 0 || host.length > MAX_HOST_LEN || !this.o.isAcceptableHost(host)) return { ok: false, reason: 'bad-host' };
    if (!Number.isInteger(addr.port) || addr.port < 1 || addr.port > 65535) return { ok: false, reason: 'bad-port' };
    const nodeId = addr.nodeId?.toLowerCase();
    if (nodeId !== undefined && !isNodeId(nodeId)) return { ok: false, reason: 'bad-node-id' };
    if (typeof source !== 'string' || source.length === 0 || new TextEncoder().encode(source).length > MAX_SOURCE_LEN)
      return { ok: false, reason: 'bad-source' };
    if (this.isSelf(peerKey({ host, port: addr.port }), nodeId)) return { ok: false, reason: 'self-address' };
    return nodeId === undefined ? { ok: true, host, port: addr.port } : { ok: true, host, port: addr.port, nodeId };
  }

  /** Inserts a new entry, evicting the worst one when full. False when every entry is protected. */
  private insert(e: AddrEntry, now: number): boolean {
    if (this.entries.size >= this.o.maxEntries) {
      const victim = this.findVictim(now);
      if (victim === undefined) return false;
      this.removeEntry(victim);
    }
    const key = peerKey(e);
    this.entries.set(key, e);
    this.bySource.set(e.source, this.countBySource(e.source) + 1);
    this.countGroups(key, e, 1);
    this.restamp(e);
    this.dirtyEntries.add(key);
    return true;
  }

  /**
   * The entry to evict: banned first, then most failures, then never successful, then oldest lastSeen.
   * Connected, operator-added and recently verified entries are never chosen.
   */
  private findVictim(now: number): string | undefined {
    let worst: AddrEntry | undefined;
    let worstKey: string | undefined;
    for (const [key, e] of this.entries) {
      if (this.connected.has(key) || this.uncapped.has(e.source)) continue;
      if (e.verified && e.lastSuccess > 0 && now - e.lastSuccess < this.o.evictProtectMs) continue;
      if (worst === undefined || this.isWorse(e, worst, now)) {
        worst = e;
        worstKey = key;
      }
    }
    return worstKey;
  }

  private isWorse(a: AddrEntry, b: AddrEntry, now: number): boolean {
    const ab = isStampedBanned(a, now);
    if (ab !== isStampedBanned(b, now)) return ab;
    if (a.failures !== b.failures) return a.failures > b.failures;
    if ((a.lastSuccess === 0) !== (b.lastSuccess === 0)) return a.lastSuccess === 0;
    return a.lastSeen < b.lastSeen;
  }

  private removeEntry(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    const n = this.countBySource(e.source) - 1;
    if (n > 0) this.bySource.set(e.source, n);
    else this.bySource.delete(e.source);
    this.countGroups(key, e, -1);
    this.sourceGroupOf.delete(key);
    this.connected.delete(key);
    this.dirtyEntries.add(key);
  }

  private countGroups(key: string, e: AddrEntry, delta: number): void {
    const bump = (m: Map<string, number>, g: string | undefined) => {
      if (g === undefined) return;
      const n = (m.get(g) ?? 0) + delta;
      if (n > 0) m.set(g, n);
      else m.delete(g);
    };
    if (this.uncapped.has(e.source)) return;
    bump(this.bySourceGroup, this.sourceGroupOf.get(key));
    bump(this.byAddrGroup, addrGroup(e.host));
  }

  /**
   * Copies the strongest ban on the entry's id or address onto it (or clears the stamp). A ban on a nodeId
   * reaches only entries where our own dial proved that id (verified): an id claimed for an address is a
   * claim, and stamping it would let a misbehaving peer get an honest node's address banned.
   */
  private restamp(e: AddrEntry): void {
    const byAddr = this.bans.get(peerKey(e));
    const byId = e.nodeId !== undefined && e.verified ? this.bans.get(e.nodeId) : undefined;
    const b = byAddr && byId ? (byAddr.until >= byId.until ? byAddr : byId) : (byAddr ?? byId);
    if (b?.until === e.bannedUntil && b?.reason === e.banReason) return;
    if (b) {
      e.bannedUntil = b.until;
      e.banReason = b.reason;
    } else {
      delete e.bannedUntil;
      delete e.banReason;
    }
    this.dirtyEntries.add(peerKey(e));
  }

  /**
   * A banned id's claims on addresses it never proved (unverified entries) are discredited: the address
   * stays, dialable, with no id, so a peer that claimed an honest node's address and then misbehaved
   * cannot get that address refused (the hijack of issue #8).
   */
  private dropClaims(nodeId: string): void {
    for (const [key, e] of this.entries) {
      if (e.verified || e.nodeId !== nodeId) continue;
      delete e.nodeId;
      this.dirtyEntries.add(key);
    }
  }

  private restampMatching(banKey: string): void {
    for (const [key, e] of this.entries) if (key === banKey || e.nodeId === banKey) this.restamp(e);
  }

}
