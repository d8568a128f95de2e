/**
 * Wire codec of the inventory and transaction-body messages: the item lists of `inv` / `getdata` /
 * `notfound`, a `tx` body, and `getnonces` (a sender's pending transactions by nonce). Part of the codec
 * dispatched by messages.ts; byte layouts in docs/protocol.md ("Wire messages").
 *
 * Pure and fuzzable: imports only node/core, ./message-types and ./wire-fields.
 */
import { Reader, Writer } from '../../core/bytes.js';
import { HASH_LEN } from '../../core/hash.js';
import { TX_SIZE, readTx } from '../../core/tx.js';
import {
  MAX_INV, MAX_GETNONCES, SENDER_LEN, MessageType, InvKind, INV_KINDS, InvItem, TxMessage, GetNoncesMessage,
} from './message-types.js';
import { badArg, decodeError, writeCount } from './wire-fields.js';

export function writeInv(w: Writer, type: MessageType, items: InvItem[]): void {
  writeCount(w, `${type} count`, items.length, MAX_INV);
  for (const it of items) {
    const code = INV_KINDS[it.kind];
    if (code === undefined) throw badArg(`"${type}.kind" unknown ${String(it.kind)}`);
    w.u8(code).fixed(it.hash, HASH_LEN);
  }
}

export function readInv(r: Reader, type: MessageType): InvItem[] {
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

export function readTxMessage(r: Reader): TxMessage {
  if (r.remaining !== TX_SIZE) throw decodeError(`"tx" expected ${TX_SIZE} bytes, got ${r.remaining}`);
  return { type: 'tx', tx: readTx(r) };
}

export function writeGetNonces(w: Writer, m: GetNoncesMessage): void {
  if (!Number.isInteger(m.count) || m.count < 1 || m.count > MAX_GETNONCES) throw badArg(`"getnonces.count" expected 1..${MAX_GETNONCES}, got ${m.count}`);
  w.fixed(m.sender, SENDER_LEN).u64(m.fromNonce).u8(m.count);
}

export function readGetNonces(r: Reader): GetNoncesMessage {
  const sender = r.fixed(SENDER_LEN, 'getnonces.sender');
  const fromNonce = r.u64('getnonces.fromNonce');
  const count = r.u8('getnonces.count');
  if (count < 1 || count > MAX_GETNONCES) throw decodeError(`"getnonces.count" expected 1..${MAX_GETNONCES}, got ${count}`);
  return { type: 'getnonces', sender, fromNonce, count };
}
