/**
 * Canonical encodings of the values the ledger stores (index entries, accounts, tx locations, undo).
 * Pure; decoding is strict, and any failure is reported as STORAGE_CORRUPT by the store.
 */
import { Reader, Writer } from '../core/bytes.js';
import { BlockHeader, HEADER_SIZE, readHeader, writeHeader } from '../core/block.js';
import { Account } from '../core/state-view.js';

export const enum BlockStatus {
  /** Body stored, not known to be invalid. */
  Valid = 0,
  /** Failed validation (itself or an ancestor): never connect, never relay. */
  Failed = 1,
}

export interface IndexEntry {
  header: BlockHeader;
  work: bigint;
  status: BlockStatus;
}

function writeU256(w: Writer, v: bigint): Writer {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return w.bytes(out);
}

function readU256(r: Reader): bigint {
  const b = r.fixed(32, 'u256');
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}

export function encodeIndexEntry(e: IndexEntry): Uint8Array {
  const w = new Writer(HEADER_SIZE + 33);
  writeHeader(w, e.header);
  writeU256(w, e.work);
  return w.u8(e.status).finish();
}

export function decodeIndexEntry(b: Uint8Array): IndexEntry {
  const r = new Reader(b);
  const header = readHeader(r);
  const work = readU256(r);
  const status = r.u8('status') as BlockStatus;
  r.end('index entry');
  return { header, work, status };
}

export function encodeAccount(a: Account): Uint8Array {
  return new Writer(16).u64(a.balance).u64(a.nonce).finish();
}

export function decodeAccount(b: Uint8Array): Account {
  const r = new Reader(b);
  const a = { balance: r.u64('balance'), nonce: r.u64('nonce') };
  r.end('account');
  return a;
}

export interface TxLocation {
  blockHash: Uint8Array;
  height: number;
  position: number;
}

export function encodeTxLocation(l: TxLocation): Uint8Array {
  return new Writer(40).fixed(l.blockHash, 32).u32(l.height).u32(l.position).finish();
}

export function decodeTxLocation(b: Uint8Array): TxLocation {
  const r = new Reader(b);
  const l = { blockHash: r.fixed(32, 'blockHash'), height: r.u32('height'), position: r.u32('position') };
  r.end('tx location');
  return l;
}

/** Undo data: the prior value of every account a block touched, in a canonical order. */
export function encodeUndo(prior: Map<string, Account>, addressOf: (key: string) => Uint8Array): Uint8Array {
  const keys = [...prior.keys()].sort();
  const w = new Writer(4 + keys.length * 36).varint(keys.length);
  for (const k of keys) {
    const a = prior.get(k)!;
    w.fixed(addressOf(k), 20).u64(a.balance).u64(a.nonce);
  }
  return w.finish();
}

export function decodeUndo(b: Uint8Array): { address: Uint8Array; account: Account }[] {
  const r = new Reader(b);
  const n = r.count('undo count', 1_000_000);
  const out: { address: Uint8Array; account: Account }[] = [];
  for (let i = 0; i < n; i++) out.push({ address: r.fixed(20, 'address'), account: { balance: r.u64('balance'), nonce: r.u64('nonce') } });
  r.end('undo');
  return out;
}
