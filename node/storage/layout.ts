/**
 * Key layout of the chain database: every prefix in one place, with small key builders.
 * All keys are bytes; multi-byte integers in keys are big-endian so LevelDB's order is numeric order.
 *
 *   'M' + name            metadata: 'genesis' -> genesis hash, 'schema' -> u32, 'tip' -> block hash
 *   'b' + hash            full block bytes (canonical encoding), for main and side branches alike
 *   'i' + hash            block index entry: header (92) | work u256 BE (32) | status u8
 *   'H' + height u32      main-chain block hash at height
 *   'a' + address (20)    account: balance u64 | nonce u64
 *   't' + txid            tx location: block hash (32) | height u32 | position u32
 *   'x' + address + height u32 + position u32  -> txid  (history, both sender and recipient)
 *   'u' + hash            undo data of a connected block: prior values of every account it touched
 *
 * Must not import anything but node/core.
 */
import { concatBytes, u32be } from '../core/bytes.js';

export const SCHEMA_VERSION = 1;

const enc = new TextEncoder();
const P = (c: string): Uint8Array => enc.encode(c);

export const PREFIX = {
  meta: P('M'),
  block: P('b'),
  index: P('i'),
  height: P('H'),
  account: P('a'),
  txIndex: P('t'),
  history: P('x'),
  undo: P('u'),
} as const;

export const metaKey = (name: 'genesis' | 'schema' | 'tip'): Uint8Array => concatBytes(PREFIX.meta, P(name));
export const blockKey = (hash: Uint8Array): Uint8Array => concatBytes(PREFIX.block, hash);
export const indexKey = (hash: Uint8Array): Uint8Array => concatBytes(PREFIX.index, hash);
export const heightKey = (height: number): Uint8Array => concatBytes(PREFIX.height, u32be(height));
export const accountKey = (address: Uint8Array): Uint8Array => concatBytes(PREFIX.account, address);
export const txIndexKey = (id: Uint8Array): Uint8Array => concatBytes(PREFIX.txIndex, id);
export const undoKey = (hash: Uint8Array): Uint8Array => concatBytes(PREFIX.undo, hash);
export const historyKey = (address: Uint8Array, height: number, position: number): Uint8Array =>
  concatBytes(PREFIX.history, address, u32be(height), u32be(position));

/**
 * The per-transaction keys of a connected block, written into one caller-owned buffer instead of one
 * small allocation each (a block of n txs has 3n keys; the same bytes as txIndexKey / historyKey).
 * Returns the views, in `out` from `at`.
 */
export function txIndexKeyInto(out: Uint8Array, at: number, id: Uint8Array): Uint8Array {
  out[at] = PREFIX.txIndex[0]!;
  out.set(id, at + 1);
  return out.subarray(at, at + 1 + id.length);
}

export function historyKeyInto(out: Uint8Array, at: number, address: Uint8Array, height: number, position: number): Uint8Array {
  const end = at + 1 + address.length + 8;
  out[at] = PREFIX.history[0]!;
  out.set(address, at + 1);
  const dv = new DataView(out.buffer, out.byteOffset + end - 8, 8);
  dv.setUint32(0, height, false);
  dv.setUint32(4, position, false);
  return out.subarray(at, end);
}

/** [gte, lt) range covering every key that starts with `prefix`. */
export function prefixRange(prefix: Uint8Array): { gte: Uint8Array; lt: Uint8Array } {
  const lt = prefix.slice();
  let i = lt.length - 1;
  while (i >= 0 && lt[i] === 0xff) i--;
  if (i < 0) throw new RangeError('prefix of all 0xff has no upper bound');
  lt[i]! += 1;
  return { gte: prefix, lt: lt.subarray(0, i + 1) };
}
