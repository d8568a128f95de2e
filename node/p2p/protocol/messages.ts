/**
 * P2P wire messages: the canonical binary encoding of the `Message` union (message-types.ts). One WebSocket binary frame
 * carries exactly one message, `type u8 | payload`; the byte layouts are specified in docs/protocol.md
 * ("Wire messages"). Decoding is strict in the manner of core/bytes.ts: every collection is bounded and
 * its count checked before anything is allocated, unknown types and trailing bytes are refused, and
 * the encoder refuses anything the decoder would refuse, so decode(encode(m)) always succeeds and every
 * accepted frame has exactly one encoding. Semantics (is the hash known, is the port dialable) are the
 * protocol layer's business, not this module's.
 *
 * Pure and fuzzable: imports only node/core. No ws, no timers, no randomness.
 */
import { Reader, Writer, toHex } from '../../core/bytes.js';
import { NodeError } from '../../core/errors.js';
import { HASH_LEN } from '../../core/hash.js';
import { ADDRESS_HASH_LEN, SIGNATURE_LEN, bytesToBigInt } from '../../core/keys.js';
import { TX_SIZE, Tx, readTx, writeTx } from '../../core/tx.js';
import { BlockHeader, HEADER_SIZE, decodeBlock, encodeBlock, readHeader, writeHeader } from '../../core/block.js';
import {
  MAX_MESSAGE_BYTES, MAX_INV, MAX_ADDR, MAX_LOCATOR, MAX_HEADERS, MAX_USER_AGENT_BYTES, MAX_REASON_BYTES,
  MAX_HOST_BYTES, NODE_ID_LEN, CHALLENGE_LEN, OBSERVED_IP_LEN, MAX_GETNONCES, SENDER_LEN, WORK_LEN,
  SHORT_ID_LEN, MAX_CMPCT_TXS, MAX_BLOCKTXN, MESSAGE_TYPES, MessageType, InvKind, INV_KINDS, InvItem,
  WireAddr, HelloMessage, AddrMessage, HeadersMessage, RejectMessage, CmpctBlockMessage, Message,
} from './message-types.js';

export * from './message-types.js';

const TYPE_BY_CODE = new Map<number, MessageType>(
  (Object.entries(MESSAGE_TYPES) as [MessageType, number][]).map(([name, code]) => [code, name]),
);


const ZERO_HASH = new Uint8Array(HASH_LEN);
const U256_LIMIT = 1n << 256n;
const utf8 = new TextEncoder();
// ignoreBOM: a leading U+FEFF is kept, not stripped, so decode -> encode gives back the same bytes.
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeError(message: string): NodeError {
  return new NodeError('DECODE_ERROR', message);
}

function badArg(message: string): NodeError {
  return new NodeError('INVALID_ARGUMENT', message);
}

// ---- encoding ---------------------------------------------------------------------------------

function writeCount(w: Writer, what: string, n: number, max: number): void {
  if (n > max) throw badArg(`"${what}" expected <= ${max}, got ${n}`);
  w.varint(n);
}

function writeStr(w: Writer, what: string, s: string, max: number): void {
  const b = utf8.encode(s);
  // A lone surrogate would be replaced by U+FFFD: the peer would read a different string than we meant.
  if (utf8Strict.decode(b) !== s) throw badArg(`"${what}" is not well-formed UTF-16`);
  if (b.length > max) throw badArg(`"${what}" expected <= ${max} bytes, got ${b.length}`);
  w.varBytes(b);
}

function writeMs(w: Writer, what: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw badArg(`"${what}" must be a non-negative safe integer, got ${ms}`);
  w.u64(BigInt(ms));
}

function writeU256(w: Writer, what: string, v: bigint): void {
  if (typeof v !== 'bigint' || v < 0n || v >= U256_LIMIT) throw badArg(`"${what}" out of u256 range`);
  const out = new Uint8Array(WORK_LEN);
  let x = v;
  for (let i = WORK_LEN - 1; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  w.bytes(out);
}

function writeInv(w: Writer, type: MessageType, items: InvItem[]): void {
  writeCount(w, `${type} count`, items.length, MAX_INV);
  for (const it of items) {
    const code = INV_KINDS[it.kind];
    if (code === undefined) throw badArg(`"${type}.kind" unknown ${String(it.kind)}`);
    w.u8(code).fixed(it.hash, HASH_LEN);
  }
}

/**
 * The frame for one message: `type u8 | payload`.
 * @throws NodeError INVALID_ARGUMENT when a field is out of range or a collection exceeds its limit,
 *   or the frame would exceed MAX_MESSAGE_BYTES (the peer would drop us for sending it).
 */
export function encodeMessage(m: Message): Uint8Array {
  const code = MESSAGE_TYPES[m.type];
  if (code === undefined) throw badArg(`unknown message type ${String((m as { type: unknown }).type)}`);
  if (m.type === 'block') {
    const body = encodeBlock(m.block);
    if (body.length + 1 > MAX_MESSAGE_BYTES) throw badArg(`"block" message expected <= ${MAX_MESSAGE_BYTES} bytes, got ${body.length + 1}`);
    const out = new Uint8Array(body.length + 1);
    out[0] = code;
    out.set(body, 1);
    return out;
  }
  const w = new Writer(64).u8(code);
  switch (m.type) {
    case 'hello':
      w.u32(m.protocolVersion).u32(m.chainId).fixed(m.genesisHash, HASH_LEN).fixed(m.nodeId, NODE_ID_LEN);
      w.fixed(m.challenge, CHALLENGE_LEN).u16(m.listenPort).u32(m.bestHeight);
      writeU256(w, 'hello.bestWork', m.bestWork);
      w.fixed(m.bestHash, HASH_LEN);
      writeStr(w, 'hello.userAgent', m.userAgent, MAX_USER_AGENT_BYTES);
      writeMs(w, 'hello.timestamp', m.timestamp);
      if (m.protocolVersion >= 2) w.fixed(m.observedIp, OBSERVED_IP_LEN).u16(m.observedPort);
      break;
    case 'helloProof':
      w.fixed(m.signature, SIGNATURE_LEN);
      break;
    case 'ping':
    case 'pong':
      w.u64(m.nonce);
      break;
    case 'getaddr':
      break;
    case 'addr':
      writeCount(w, 'addr count', m.addrs.length, MAX_ADDR);
      for (const a of m.addrs) {
        writeStr(w, 'addr.host', a.host, MAX_HOST_BYTES);
        w.u16(a.port).fixed(a.nodeId, NODE_ID_LEN);
        writeMs(w, 'addr.lastSeen', a.lastSeen);
      }
      break;
    case 'inv':
    case 'getdata':
    case 'notfound':
      writeInv(w, m.type, m.items);
      break;
    case 'tx':
      writeTx(w, m.tx);
      break;
    case 'getblocks':
      writeCount(w, 'getblocks locator count', m.locator.length, MAX_LOCATOR);
      for (const h of m.locator) w.fixed(h, HASH_LEN);
      w.fixed(m.stopHash ?? ZERO_HASH, HASH_LEN);
      break;
    case 'reject':
      writeStr(w, 'reject.reason', m.reason, MAX_REASON_BYTES);
      if (m.hash === null) w.u8(0);
      else w.u8(1).fixed(m.hash, HASH_LEN);
      break;
    case 'disconnect':
      writeStr(w, 'disconnect.reason', m.reason, MAX_REASON_BYTES);
      break;
    case 'getnonces':
      if (!Number.isInteger(m.count) || m.count < 1 || m.count > MAX_GETNONCES) throw badArg(`"getnonces.count" expected 1..${MAX_GETNONCES}, got ${m.count}`);
      w.fixed(m.sender, SENDER_LEN).u64(m.fromNonce).u8(m.count);
        break;
    case 'sendcmpct':
      w.u8(m.highBandwidth ? 1 : 0);
      break;
    case 'cmpctblock':
      try {
        writeHeader(w, m.header);
      } catch (e) {
        throw badArg(`"cmpctblock" ${(e as Error).message}`);
      }
      w.fixed(m.miner, ADDRESS_HASH_LEN).u64(m.reward).u64(m.salt);
      writeCount(w, 'cmpctblock count', m.shortIds.length, MAX_CMPCT_TXS);
      for (const id of m.shortIds) w.fixed(id, SHORT_ID_LEN);
      break;
    case 'getblocktxn':
      w.fixed(m.blockHash, HASH_LEN);
      writeCount(w, 'getblocktxn count', m.indexes.length, MAX_BLOCKTXN);
      for (const i of m.indexes) {
        if (!Number.isInteger(i) || i < 0 || i > 0xffff) throw badArg(`"getblocktxn.index" expected 0..65535, got ${i}`);
        w.u16(i);
      }
      break;
    case 'blocktxn':
      w.fixed(m.blockHash, HASH_LEN);
      writeCount(w, 'blocktxn count', m.txs.length, MAX_BLOCKTXN);
      for (const tx of m.txs) writeTx(w, tx);
      break;
    case 'getheaders':
      writeCount(w, 'getheaders locator count', m.locator.length, MAX_LOCATOR);
      for (const h of m.locator) w.fixed(h, HASH_LEN);
      w.fixed(m.stopHash ?? ZERO_HASH, HASH_LEN);
      break;
    case 'headers':
      writeCount(w, 'headers count', m.headers.length, MAX_HEADERS);
      for (const h of m.headers) {
        try {
          writeHeader(w, h);
        } catch (e) {
          throw badArg(`"headers" ${(e as Error).message}`);
        }
      }
      break;
  }
  return w.finish();
}

// ---- decoding ---------------------------------------------------------------------------------

function readStr(r: Reader, what: string, max: number): string {
  const b = r.varBytes(what, max);
  try {
    return utf8Strict.decode(b);
  } catch {
    throw decodeError(`"${what}" is not valid UTF-8`);
  }
}

function readMs(r: Reader, what: string): number {
  const v = r.u64(what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw decodeError(`"${what}" expected <= ${Number.MAX_SAFE_INTEGER}, got ${v}`);
  return Number(v);
}

function readInv(r: Reader, type: MessageType): InvItem[] {
  const n = r.count(`${type} count`, MAX_INV);
  if (r.remaining !== n * (1 + HASH_LEN)) throw decodeError(`"${type}" expected ${n * (1 + HASH_LEN)} bytes of items, got ${r.remaining}`);
  const items: InvItem[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const code = r.u8(`${type}[${i}].kind`);
    const kind: InvKind | undefined = code === 1 ? 'tx' : code === 2 ? 'block' : undefined;
    if (kind === undefined) throw decodeError(`"${type}[${i}].kind" expected 1 (tx) or 2 (block), got ${code}`);
    items[i] = { kind, hash: r.fixed(HASH_LEN, `${type}[${i}].hash`) };
  }
  return items;
}

function readHello(r: Reader): HelloMessage {
  const protocolVersion = r.u32('hello.protocolVersion');
  const h: HelloMessage = {
    type: 'hello',
    protocolVersion,
    chainId: r.u32('hello.chainId'),
    genesisHash: r.fixed(HASH_LEN, 'hello.genesisHash'),
    nodeId: r.fixed(NODE_ID_LEN, 'hello.nodeId'),
    challenge: r.fixed(CHALLENGE_LEN, 'hello.challenge'),
    listenPort: r.u16('hello.listenPort'),
    bestHeight: r.u32('hello.bestHeight'),
    bestWork: bytesToBigInt(r.fixed(WORK_LEN, 'hello.bestWork')),
    bestHash: r.fixed(HASH_LEN, 'hello.bestHash'),
    userAgent: readStr(r, 'hello.userAgent', MAX_USER_AGENT_BYTES),
    timestamp: readMs(r, 'hello.timestamp'),
    observedIp: new Uint8Array(OBSERVED_IP_LEN),
    observedPort: 0,
  };
  // The layout grows with the version: a v1 hello ends at the timestamp (and is then refused by checkHello).
  if (protocolVersion >= 2) {
    h.observedIp = r.fixed(OBSERVED_IP_LEN, 'hello.observedIp');
    h.observedPort = r.u16('hello.observedPort');
  }
  return h;
}

function readAddr(r: Reader): AddrMessage {
  const n = r.count('addr count', MAX_ADDR);
  // Smallest entry: empty host (1) + port (2) + nodeId (33) + lastSeen (8).
  if (r.remaining < n * (1 + 2 + NODE_ID_LEN + 8)) throw decodeError(`"addr" expected >= ${n * 44} bytes for ${n} entries, got ${r.remaining}`);
  const addrs: WireAddr[] = new Array(n);
  for (let i = 0; i < n; i++) {
    addrs[i] = {
      host: readStr(r, `addr[${i}].host`, MAX_HOST_BYTES),
      port: r.u16(`addr[${i}].port`),
      nodeId: r.fixed(NODE_ID_LEN, `addr[${i}].nodeId`),
      lastSeen: readMs(r, `addr[${i}].lastSeen`),
    };
  }
  return { type: 'addr', addrs };
}

function readGetBlocks<T extends 'getblocks' | 'getheaders'>(r: Reader, type: T): { type: T; locator: Uint8Array[]; stopHash: Uint8Array | null } {
  const n = r.count(`${type} locator count`, MAX_LOCATOR);
  if (r.remaining !== (n + 1) * HASH_LEN) throw decodeError(`"${type}" expected ${(n + 1) * HASH_LEN} bytes of hashes, got ${r.remaining}`);
  const locator: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) locator[i] = r.fixed(HASH_LEN, `${type}.locator[${i}]`);
  const stop = r.fixed(HASH_LEN, `${type}.stopHash`);
  return { type, locator, stopHash: stop.every((b) => b === 0) ? null : stop };
}

function readHeaders(r: Reader): HeadersMessage {
  const n = r.count('headers count', MAX_HEADERS);
  if (r.remaining !== n * HEADER_SIZE) throw decodeError(`"headers" expected ${n * HEADER_SIZE} bytes of headers, got ${r.remaining}`);
  const headers: BlockHeader[] = new Array(n);
  for (let i = 0; i < n; i++) {
    try {
      headers[i] = readHeader(r);
    } catch (e) {
      if (e instanceof RangeError) throw decodeError(`"headers[${i}]" ${e.message}`);
      throw e;
    }
  }
  return { type: 'headers', headers };
}

function readCmpctBlock(r: Reader): CmpctBlockMessage {
  let header: BlockHeader;
  try {
    header = readHeader(r);
  } catch (e) {
    if (e instanceof RangeError) throw decodeError(`"cmpctblock.header" ${e.message}`);
    throw e;
  }
  const miner = r.fixed(ADDRESS_HASH_LEN, 'cmpctblock.miner');
  const reward = r.u64('cmpctblock.reward');
  const salt = r.u64('cmpctblock.salt');
  const n = r.count('cmpctblock count', MAX_CMPCT_TXS);
  if (r.remaining !== n * SHORT_ID_LEN) throw decodeError(`"cmpctblock" expected ${n * SHORT_ID_LEN} bytes of short ids, got ${r.remaining}`);
  const shortIds: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) shortIds[i] = r.fixed(SHORT_ID_LEN, `cmpctblock.shortIds[${i}]`);
  return { type: 'cmpctblock', header, miner, reward, salt, shortIds };
}

function readReject(r: Reader): RejectMessage {
  const reason = readStr(r, 'reject.reason', MAX_REASON_BYTES);
  const flag = r.u8('reject.hasHash');
  if (flag > 1) throw decodeError(`"reject.hasHash" expected 0 or 1, got ${flag}`);
  return { type: 'reject', reason, hash: flag === 1 ? r.fixed(HASH_LEN, 'reject.hash') : null };
}

/**
 * Decodes one frame. Never allocates more than the frame's own size.
 * @throws NodeError DECODE_ERROR with an exact message (`"inv count" expected <= 1000, got 70000`) on an
 *   oversize frame, an unknown type byte, a truncated or malformed field, or trailing bytes.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  if (bytes.length > MAX_MESSAGE_BYTES) throw decodeError(`"message" expected <= ${MAX_MESSAGE_BYTES} bytes, got ${bytes.length}`);
  const r = new Reader(bytes);
  const code = r.u8('message type');
  const type = TYPE_BY_CODE.get(code);
  if (type === undefined) throw decodeError(`"message type" unknown 0x${code.toString(16).padStart(2, '0')}`);
  let m: Message;
  switch (type) {
    case 'hello':
      m = readHello(r);
      break;
    case 'helloProof':
      m = { type, signature: r.fixed(SIGNATURE_LEN, 'helloProof.signature') };
      break;
    case 'ping':
    case 'pong':
      m = { type, nonce: r.u64(`${type}.nonce`) };
      break;
    case 'getaddr':
      m = { type };
      break;
    case 'addr':
      m = readAddr(r);
      break;
    case 'inv':
    case 'getdata':
    case 'notfound':
      m = { type, items: readInv(r, type) };
      break;
    case 'tx':
      if (r.remaining !== TX_SIZE) throw decodeError(`"tx" expected ${TX_SIZE} bytes, got ${r.remaining}`);
      m = { type, tx: readTx(r) };
      break;
    case 'block':
      // decodeBlock is strict on its own: bounded tx count, exact length, no trailing bytes.
      return { type, block: decodeBlock(bytes.subarray(1)) };
    case 'getblocks':
    case 'getheaders':
      m = readGetBlocks(r, type);
      break;
    case 'headers':
      m = readHeaders(r);
      break;
    case 'reject':
      m = readReject(r);
      break;
    case 'disconnect':
      m = { type, reason: readStr(r, 'disconnect.reason', MAX_REASON_BYTES) };
      break;
    case 'getnonces': {
      const sender = r.fixed(SENDER_LEN, 'getnonces.sender');
      const fromNonce = r.u64('getnonces.fromNonce');
      const count = r.u8('getnonces.count');
      if (count < 1 || count > MAX_GETNONCES) throw decodeError(`"getnonces.count" expected 1..${MAX_GETNONCES}, got ${count}`);
      m = { type, sender, fromNonce, count };
      break;
    }
    case 'sendcmpct': {
      const flag = r.u8('sendcmpct.highBandwidth');
      if (flag > 1) throw decodeError(`"sendcmpct.highBandwidth" expected 0 or 1, got ${flag}`);
      m = { type, highBandwidth: flag === 1 };
      break;
    }
    case 'cmpctblock':
      m = readCmpctBlock(r);
      break;
    case 'getblocktxn': {
      const blockHash = r.fixed(HASH_LEN, 'getblocktxn.blockHash');
      const n = r.count('getblocktxn count', MAX_BLOCKTXN);
      if (r.remaining !== n * 2) throw decodeError(`"getblocktxn" expected ${n * 2} bytes of indexes, got ${r.remaining}`);
      const indexes: number[] = new Array(n);
      for (let i = 0; i < n; i++) indexes[i] = r.u16(`getblocktxn.indexes[${i}]`);
      m = { type, blockHash, indexes };
      break;
    }
    case 'blocktxn': {
      const blockHash = r.fixed(HASH_LEN, 'blocktxn.blockHash');
      const n = r.count('blocktxn count', MAX_BLOCKTXN);
      if (r.remaining !== n * TX_SIZE) throw decodeError(`"blocktxn" expected ${n * TX_SIZE} bytes of txs, got ${r.remaining}`);
      const txs: Tx[] = new Array(n);
      for (let i = 0; i < n; i++) txs[i] = readTx(r);
      m = { type, blockHash, txs };
      break;
    }
  }
  r.end(type);
  return m;
}

/**
 * The type of a frame from its first byte, without decoding the rest: lets the protocol layer rate-limit
 * or account per type cheaply. Undefined for an empty frame or an unknown type byte.
 */
export function peekMessageType(bytes: Uint8Array): MessageType | undefined {
  return bytes.length === 0 ? undefined : TYPE_BY_CODE.get(bytes[0]!);
}

/**
 * A peer-supplied string made safe for a log line: anything outside printable ASCII becomes '?', so a
 * user agent or reason cannot forge log lines or smuggle terminal escapes (Core's SanitizeString).
 */
export function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/** Short human description for logs: type plus the count or hash that identifies it. */
export function describeMessage(m: Message): string {
  switch (m.type) {
    case 'inv':
    case 'getdata':
    case 'notfound':
      return `${m.type}(${m.items.length})`;
    case 'addr':
      return `addr(${m.addrs.length})`;
    case 'block':
      return `block(height ${m.block.header.height})`;
    case 'getblocks':
    case 'getheaders':
      return `${m.type}(locator ${m.locator.length})`;
    case 'headers':
      return `headers(${m.headers.length})`;
    case 'reject':
      return `reject(${printable(m.reason)}${m.hash ? ' ' + toHex(m.hash) : ''})`;
    case 'disconnect':
      return `disconnect(${printable(m.reason)})`;
    case 'cmpctblock':
      return `cmpctblock(height ${m.header.height}, ${m.shortIds.length} txs)`;
    case 'getblocktxn':
      return `getblocktxn(${toHex(m.blockHash)} ${m.indexes.length})`;
    case 'blocktxn':
      return `blocktxn(${toHex(m.blockHash)} ${m.txs.length})`;
    case 'getnonces':
      return `getnonces(${toHex(m.sender)} ${m.fromNonce}+${m.count})`;
    default:
      return m.type;
  }
}
