/**
 * The address book's tunables, defaults and small pure helpers (host acceptance, backoff, weighted pick,
 * random sample), kept apart from AddrBook so the policy is readable on one screen.
 * PURE: no I/O, no Date.now, no Math.random (randomness is passed in). Imports only storage/peer-layout types.
 */
import type { AddrEntry, BanRecord } from '../../storage/peer-layout.js';
import { addressClass, canonicalIp } from './net-address.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Gossip re-advertising a known address refreshes lastSeen only in steps this large (addrman does the same). */
export const SEEN_GRANULARITY_MS = 20 * MINUTE;

export interface AddrBookOptions {
  clock: () => number;
  /** Uniform in [0, 1); inject a seeded generator for deterministic tests. */
  random: () => number;
  maxEntries?: number;
  /** Most entries one source (a peer's nodeId) may have added and still present. */
  maxPerSource?: number;
  /** Sources trusted by the operator, exempt from the per-source cap and from eviction/forgetting. */
  uncappedSources?: readonly string[];
  /** Which hosts are acceptable; default `isRoutableHost` (any loopback, private or public IP; no names from gossip). */
  isAcceptableHost?: (host: string) => boolean;
  /**
   * Most entries whose source peer is in one netgroup (IPv4 /16, IPv6 /32, one loopback IP): many node ids
   * from one network together hold a bounded share of the table (Core's source-group buckets).
   */
  maxPerSourceGroup?: number;
  /** Most entries in one non-loopback address netgroup: a flood of addresses in one /16 holds a bounded share. */
  maxPerAddrGroup?: number;
  selfNodeId?: string;
  selfAddrs?: readonly { host: string; port: number }[];
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Consecutive failures after which an entry with no recent success is forgotten. */
  maxFailures?: number;
  /** "No success for a long time": how long since the last success before a failing entry may be forgotten. */
  forgetAfterMs?: number;
  /** A verified entry that succeeded within this window is never evicted. */
  evictProtectMs?: number;
  /** Chance that a dial pick comes from the tried (ever-succeeded / verified) entries rather than new ones. */
  triedBias?: number;
  sampleMax?: number;
  /** Never-successful unverified entries not seen within this window are not passed on in getaddr. */
  sampleHorizonMs?: number;
}

export const ADDR_BOOK_DEFAULTS = {
  maxEntries: 2000,
  maxPerSource: 64,
  maxPerSourceGroup: 256,
  maxPerAddrGroup: 256,
  uncappedSources: ['manual', 'seed'] as readonly string[],
  backoffBaseMs: 2_000,
  backoffMaxMs: 10 * MINUTE,
  maxFailures: 10,
  forgetAfterMs: 7 * DAY,
  evictProtectMs: DAY,
  triedBias: 0.7,
  sampleMax: 1000,
  sampleHorizonMs: DAY,
};

/** Default ban length, Bitcoin Core's -bantime. */
export const DEFAULT_BAN_MS = DAY;

export type AddRejectReason =
  | 'bad-host'
  | 'bad-port'
  | 'bad-node-id'
  | 'bad-source'
  | 'self-address'
  | 'banned'
  | 'source-limit'
  | 'group-limit'
  | 'table-full';

export type AddResult = { ok: true; entry: AddrEntry; isNew: boolean } | { ok: false; reason: AddRejectReason };

/** What changed since the last `takeChanges()`: current rows to write and keys to delete. */
export interface AddrBookChanges {
  upserts: AddrEntry[];
  removals: string[];
  bans: BanRecord[];
  unbans: string[];
}

/** Local network: 'localhost' or a canonical dotted 127.0.0.0/8 address (no leading zeros, so one key per address). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255 && (o === '0' || !o.startsWith('0')));
}

/** Any dialable IP literal (loopback, private or public class, see net-address.ts) or `localhost`. */
export function isRoutableHost(host: string): boolean {
  return addressClass(host) !== undefined;
}

/** One spelling per address: canonical IP text (RFC 5952 for IPv6), names lower-cased. */
export function canonicalHost(host: string): string {
  const h = host.toLowerCase();
  return canonicalIp(h) ?? h;
}

/** A bare IP key for an IP ban ("discourage"): only non-loopback IPs (a loopback IP is many local nodes). */
export function isIpBanKey(key: string): boolean {
  const cls = addressClass(key);
  return cls !== undefined && cls !== 'loopback' && canonicalIp(key) === key;
}

/** Wait after `failures` consecutive failures: base * 2^(failures-1), capped. */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(baseMs * 2 ** Math.min(failures - 1, 40), maxMs);
}

/** True for "host:port" with a non-empty host and a port in 1..65535: a ban key that is not a bare IP. */
export function isHostPortKey(key: string): boolean {
  const i = key.lastIndexOf(':');
  if (i <= 0) return false;
  const port = key.slice(i + 1);
  return /^[1-9][0-9]{0,4}$/.test(port) && Number(port) <= 65535;
}

export function truncateUtf8(s: string, maxBytes: number): string {
  const enc = new TextEncoder();
  let out = s;
  while (enc.encode(out).length > maxBytes) out = out.slice(0, -1);
  return out;
}

/** Removes and returns one entry, weighted as addrman's GetChance: each past failure makes a pick ~1/3 less likely. */
export function pickWeighted<T extends { failures: number }>(list: T[], random: () => number): T {
  const weights = list.map((e) => 0.66 ** Math.min(e.failures, 8));
  let r = random() * weights.reduce((s, w) => s + w, 0);
  let i = 0;
  for (; i < list.length - 1; i++) {
    r -= weights[i]!;
    if (r < 0) break;
  }
  return list.splice(i, 1)[0]!;
}

/** Partial Fisher-Yates: the first `n` items of `pool` become a uniform random sample (in place). */
export function shuffleFirst<T>(pool: T[], n: number, random: () => number): T[] {
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

/** Options with undefined fields removed, so spreading them over defaults keeps the defaults. */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
