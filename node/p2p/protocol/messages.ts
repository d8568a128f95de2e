/**
 * P2P wire messages: the canonical binary encoding of the `Message` union (message-types.ts). One WebSocket binary frame
 * carries exactly one message, `type u8 | payload`; the byte layouts are specified in docs/protocol.md
 * ("Wire messages"). Decoding is strict in the manner of core/bytes.ts: every collection is bounded and
 * its count checked before anything is allocated, unknown types and trailing bytes are refused, and
 * the encoder refuses anything the decoder would refuse, so decode(encode(m)) always succeeds and every
 * accepted frame has exactly one encoding. Semantics (is the hash known, is the port dialable) are the
 * protocol layer's business, not this module's.
 *
 * This module is the dispatch on the type byte; the payloads of the larger messages are written and read by
 * one codec file per family (control-codec.ts: hello, addr, reject; inventory-codec.ts: inv items, tx,
 * getnonces; sync-codec.ts: getblocks/getheaders, headers; compact-codec.ts: compact block relay), all built
 * on the field primitives of wire-fields.ts.
 *
 * Pure and fuzzable: imports only node/core and its own codec files. No ws, no timers, no randomness.
 */
import { Reader, Writer, toHex } from '../../core/bytes.js';
import { SIGNATURE_LEN } from '../../core/keys.js';
import { writeTx } from '../../core/tx.js';
import { decodeBlock, encodeBlock } from '../../core/block.js';
import { MAX_MESSAGE_BYTES, MAX_REASON_BYTES, MESSAGE_TYPES, MessageType, Message } from './message-types.js';
import { badArg, decodeError, readStr, writeStr } from './wire-fields.js';
import { readAddr, readHello, readReject, writeAddr, writeHello, writeReject } from './control-codec.js';
import { readGetNonces, readInv, readTxMessage, writeGetNonces, writeInv } from './inventory-codec.js';
import { readGetBlocks, readHeaders, writeGetBlocks, writeHeaders } from './sync-codec.js';
import {
  readBlockTxn, readCmpctBlock, readGetBlockTxn, readSendCmpct, writeBlockTxn, writeCmpctBlock, writeGetBlockTxn,
} from './compact-codec.js';

export * from './message-types.js';

const TYPE_BY_CODE = new Map<number, MessageType>(
  (Object.entries(MESSAGE_TYPES) as [MessageType, number][]).map(([name, code]) => [code, name]),
);

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
      writeHello(w, m);
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
      writeAddr(w, m);
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
    case 'getheaders':
      writeGetBlocks(w, m.type, m.locator, m.stopHash);
      break;
    case 'reject':
      writeReject(w, m);
      break;
    case 'disconnect':
      writeStr(w, 'disconnect.reason', m.reason, MAX_REASON_BYTES);
      break;
    case 'getnonces':
      writeGetNonces(w, m);
      break;
    case 'sendcmpct':
      w.u8(m.highBandwidth ? 1 : 0);
      break;
    case 'cmpctblock':
      writeCmpctBlock(w, m);
      break;
    case 'getblocktxn':
      writeGetBlockTxn(w, m);
      break;
    case 'blocktxn':
      writeBlockTxn(w, m);
      break;
    case 'headers':
      writeHeaders(w, m);
      break;
  }
  return w.finish();
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
      m = readTxMessage(r);
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
    case 'getnonces':
      m = readGetNonces(r);
      break;
    case 'sendcmpct':
      m = readSendCmpct(r);
      break;
    case 'cmpctblock':
      m = readCmpctBlock(r);
      break;
    case 'getblocktxn':
      m = readGetBlockTxn(r);
      break;
    case 'blocktxn':
      m = readBlockTxn(r);
      break;
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
