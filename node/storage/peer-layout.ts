/**
 * Layout of the peer database (`<datadir>/peers`, a LevelDB of its own so that a damaged or locked peer
 * database never touches the ledger), the record types it holds and their canonical binary values.
 *
 * Keys (bytes; the suffix is UTF-8):
 *   'p' (0x70) + "host:port"            -> AddrEntry v1   one known address, bans stamped on it included
 *   'b' (0x62) + nodeId-hex | "host:port" | IP -> BanRecord v1  every ban (a bare IP: a discouraged non-loopback IP)
 *                                                           (an inbound peer is known by its nodeId only)
 *
 * Values start with a version byte; decoding is strict (no trailing bytes, no unknown flag bits, the host
 * and port inside the value must equal the key) so a damaged record is detected and dropped, never
 * half-loaded. Pure: imports only core/bytes and core/errors (no `level`, no p2p).
 */
import { Reader, Writer, fromHex, toHex } from '../core/bytes.js';
import { NodeError } from '../core/errors.js';

export const PEER_PREFIX = 0x70; // 'p'
export const BAN_PREFIX = 0x62; // 'b'
export const PEER_ENTRY_VERSION = 1;
export const BAN_RECORD_VERSION = 1;

export const MAX_HOST_LEN = 255;
export const MAX_SOURCE_LEN = 80;
export const MAX_REASON_LEN = 200;
export const NODE_ID_LEN = 33;

/** A dialable address, optionally with the node id it is claimed (or proven) to have. */
export interface PeerAddr {
  host: string;
  port: number;
  nodeId?: string;
}

/** One row of the address book. Times are ms since the epoch; 0 means "never". */
export interface AddrEntry {
  host: string;
  port: number;
  /** Hex of the 33-byte compressed public key: advertised by gossip, or proven by a handshake. */
  nodeId?: string;
  /** True once a handshake proved `nodeId` at this address. */
  verified: boolean;
  /**
   * Who told us: the nodeId of the gossiping peer, 'seed' (configured seeds), 'manual' (operator), or
   * 'self' (unknown before we reached the address itself and completed a handshake).
   */
  source: string;
  firstSeen: number;
  lastSeen: number;
  lastAttempt: number;
  lastSuccess: number;
  /** Consecutive failed attempts since the last success. */
  failures: number;
  bannedUntil?: number;
  banReason?: string;
}

/** A ban, keyed by nodeId when known, else by host:port, or by a non-loopback IP (discouragement); never a loopback IP. */
export interface BanRecord {
  key: string;
  until: number;
  reason: string;
}

const FLAG_NODE_ID = 1;
const FLAG_VERIFIED = 2;
const FLAG_BAN = 4;
const KNOWN_FLAGS = FLAG_NODE_ID | FLAG_VERIFIED | FLAG_BAN;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** "host:port": the address book's key. */
export function peerKey(addr: { host: string; port: number }): string {
  return `${addr.host}:${addr.port}`;
}

/** True for the hex of a 33-byte compressed secp256k1 key (prefix 02 or 03), lower case. */
export function isNodeId(s: string): boolean {
  return /^0[23][0-9a-f]{64}$/.test(s);
}

function prefixed(prefix: number, key: string): Uint8Array {
  const body = utf8.encode(key);
  const out = new Uint8Array(1 + body.length);
  out[0] = prefix;
  out.set(body, 1);
  return out;
}

export function peerDbKey(key: string): Uint8Array {
  return prefixed(PEER_PREFIX, key);
}

export function banDbKey(key: string): Uint8Array {
  return prefixed(BAN_PREFIX, key);
}

/** The [gte, lt) bounds of one prefix, for an iterator. */
export function prefixRange(prefix: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) };
}

/** @throws NodeError DECODE_ERROR when the suffix is not UTF-8. */
export function keySuffix(dbKey: Uint8Array): string {
  try {
    return utf8Strict.decode(dbKey.subarray(1));
  } catch {
    throw new NodeError('DECODE_ERROR', '"peer db key" is not valid UTF-8');
  }
}

function writeTime(w: Writer, t: number, what: string): void {
  if (!Number.isSafeInteger(t) || t < 0) throw new NodeError('INVALID_ARGUMENT', `"${what}" must be a safe non-negative integer, got ${t}`);
  w.u64(BigInt(t));
}

function writeStr(w: Writer, s: string, max: number, what: string): void {
  const b = utf8.encode(s);
  if (b.length > max) throw new NodeError('INVALID_ARGUMENT', `"${what}" expected <= ${max} bytes, got ${b.length}`);
  w.varBytes(b);
}

function readTime(r: Reader, what: string): number {
  const v = r.u64(what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NodeError('DECODE_ERROR', `"${what}" expected <= 2^53-1, got ${v}`);
  return Number(v);
}

/** @throws NodeError INVALID_ARGUMENT on a field out of range (a bug in the caller, never peer input). */
export function encodeAddrEntry(e: AddrEntry): Uint8Array {
  const hasBan = e.bannedUntil !== undefined;
  const flags = (e.nodeId !== undefined ? FLAG_NODE_ID : 0) | (e.verified ? FLAG_VERIFIED : 0) | (hasBan ? FLAG_BAN : 0);
  if (e.nodeId !== undefined && !isNodeId(e.nodeId)) throw new NodeError('INVALID_ARGUMENT', `bad nodeId ${e.nodeId}`);
  const w = new Writer(128).u8(PEER_ENTRY_VERSION);
  writeStr(w, e.host, MAX_HOST_LEN, 'host');
  w.u16(e.port).u8(flags);
  if (e.nodeId !== undefined) w.fixed(fromHex(e.nodeId), NODE_ID_LEN);
  writeStr(w, e.source, MAX_SOURCE_LEN, 'source');
  writeTime(w, e.firstSeen, 'firstSeen');
  writeTime(w, e.lastSeen, 'lastSeen');
  writeTime(w, e.lastAttempt, 'lastAttempt');
  writeTime(w, e.lastSuccess, 'lastSuccess');
  w.varint(e.failures);
  if (hasBan) {
    writeTime(w, e.bannedUntil!, 'bannedUntil');
    writeStr(w, e.banReason ?? '', MAX_REASON_LEN, 'banReason');
  }
  return w.finish();
}

/**
 * Strict decode of a peer entry stored under `key` ("host:port").
 * @throws NodeError DECODE_ERROR on any malformation, an unknown version or a key mismatch.
 */
export function decodeAddrEntry(bytes: Uint8Array, key: string): AddrEntry {
  const r = new Reader(bytes);
  const version = r.u8('peer entry version');
  if (version !== PEER_ENTRY_VERSION) throw new NodeError('DECODE_ERROR', `"peer entry version" expected ${PEER_ENTRY_VERSION}, got ${version}`);
  const host = r.str('host', MAX_HOST_LEN);
  const port = r.u16('port');
  const flags = r.u8('flags');
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new NodeError('DECODE_ERROR', `"flags" has unknown bits 0x${flags.toString(16)}`);
  let nodeId: string | undefined;
  if (flags & FLAG_NODE_ID) {
    const id = r.fixed(NODE_ID_LEN, 'nodeId');
    if (id[0] !== 0x02 && id[0] !== 0x03) throw new NodeError('DECODE_ERROR', `"nodeId" expected prefix 02 or 03, got ${id[0]}`);
    nodeId = toHex(id);
  }
  const source = r.str('source', MAX_SOURCE_LEN);
  const entry: AddrEntry = {
    host,
    port,
    verified: (flags & FLAG_VERIFIED) !== 0,
    source,
    firstSeen: readTime(r, 'firstSeen'),
    lastSeen: readTime(r, 'lastSeen'),
    lastAttempt: readTime(r, 'lastAttempt'),
    lastSuccess: readTime(r, 'lastSuccess'),
    failures: r.varint('failures'),
  };
  if (nodeId !== undefined) entry.nodeId = nodeId;
  if (flags & FLAG_BAN) {
    entry.bannedUntil = readTime(r, 'bannedUntil');
    entry.banReason = r.str('banReason', MAX_REASON_LEN);
  }
  r.end('peer entry');
  if (entry.verified && nodeId === undefined) throw new NodeError('DECODE_ERROR', '"peer entry" verified without a nodeId');
  if (port === 0 || host.length === 0) throw new NodeError('DECODE_ERROR', `"peer entry" bad address ${peerKey(entry)}`);
  if (peerKey(entry) !== key) throw new NodeError('DECODE_ERROR', `"peer entry" key ${key} holds ${peerKey(entry)}`);
  return entry;
}

export function encodeBanRecord(b: BanRecord): Uint8Array {
  const w = new Writer(64).u8(BAN_RECORD_VERSION);
  writeTime(w, b.until, 'until');
  writeStr(w, b.reason, MAX_REASON_LEN, 'reason');
  return w.finish();
}

/** @throws NodeError DECODE_ERROR on any malformation or an unknown version. */
export function decodeBanRecord(bytes: Uint8Array, key: string): BanRecord {
  const r = new Reader(bytes);
  const version = r.u8('ban version');
  if (version !== BAN_RECORD_VERSION) throw new NodeError('DECODE_ERROR', `"ban version" expected ${BAN_RECORD_VERSION}, got ${version}`);
  const until = readTime(r, 'until');
  const reason = r.str('reason', MAX_REASON_LEN);
  r.end('ban record');
  if (key.length === 0) throw new NodeError('DECODE_ERROR', '"ban record" empty key');
  return { key, until, reason };
}
