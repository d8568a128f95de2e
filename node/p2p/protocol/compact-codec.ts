/**
 * Wire codec of the compact block relay messages (issue #9, BIP-152 high-bandwidth mode): `sendcmpct`,
 * `cmpctblock` (header, reward fields, short ids), `getblocktxn` (indexes) and `blocktxn` (transactions).
 * Part of the codec dispatched by messages.ts; byte layouts in docs/protocol.md ("Wire messages").
 * Short ids themselves are computed in compact.ts.
 *
 * Pure and fuzzable: imports only node/core, ./message-types and ./wire-fields.
 */
import { Reader, Writer } from '../../core/bytes.js';
import { HASH_LEN } from '../../core/hash.js';
import { ADDRESS_HASH_LEN } from '../../core/keys.js';
import { TX_SIZE, Tx, readTx, writeTx } from '../../core/tx.js';
import { BlockHeader, readHeader, writeHeader } from '../../core/block.js';
import {
  SHORT_ID_LEN, MAX_CMPCT_TXS, MAX_BLOCKTXN, SendCmpctMessage, CmpctBlockMessage, GetBlockTxnMessage, BlockTxnMessage,
} from './message-types.js';
import { badArg, decodeError, writeCount } from './wire-fields.js';

export function readSendCmpct(r: Reader): SendCmpctMessage {
  const flag = r.u8('sendcmpct.highBandwidth');
  if (flag > 1) throw decodeError(`"sendcmpct.highBandwidth" expected 0 or 1, got ${flag}`);
  return { type: 'sendcmpct', highBandwidth: flag === 1 };
}

export function writeCmpctBlock(w: Writer, m: CmpctBlockMessage): void {
  try {
    writeHeader(w, m.header);
  } catch (e) {
    throw badArg(`"cmpctblock" ${(e as Error).message}`);
  }
  w.fixed(m.miner, ADDRESS_HASH_LEN).u64(m.reward).u64(m.salt);
  writeCount(w, 'cmpctblock count', m.shortIds.length, MAX_CMPCT_TXS);
  for (const id of m.shortIds) w.fixed(id, SHORT_ID_LEN);
}

export function readCmpctBlock(r: Reader): CmpctBlockMessage {
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

export function writeGetBlockTxn(w: Writer, m: GetBlockTxnMessage): void {
  w.fixed(m.blockHash, HASH_LEN);
  writeCount(w, 'getblocktxn count', m.indexes.length, MAX_BLOCKTXN);
  for (const i of m.indexes) {
    if (!Number.isInteger(i) || i < 0 || i > 0xffff) throw badArg(`"getblocktxn.index" expected 0..65535, got ${i}`);
    w.u16(i);
  }
}

export function readGetBlockTxn(r: Reader): GetBlockTxnMessage {
  const blockHash = r.fixed(HASH_LEN, 'getblocktxn.blockHash');
  const n = r.count('getblocktxn count', MAX_BLOCKTXN);
  if (r.remaining !== n * 2) throw decodeError(`"getblocktxn" expected ${n * 2} bytes of indexes, got ${r.remaining}`);
  const indexes: number[] = new Array(n);
  for (let i = 0; i < n; i++) indexes[i] = r.u16(`getblocktxn.indexes[${i}]`);
  return { type: 'getblocktxn', blockHash, indexes };
}

export function writeBlockTxn(w: Writer, m: BlockTxnMessage): void {
  w.fixed(m.blockHash, HASH_LEN);
  writeCount(w, 'blocktxn count', m.txs.length, MAX_BLOCKTXN);
  for (const tx of m.txs) writeTx(w, tx);
}

export function readBlockTxn(r: Reader): BlockTxnMessage {
  const blockHash = r.fixed(HASH_LEN, 'blocktxn.blockHash');
  const n = r.count('blocktxn count', MAX_BLOCKTXN);
  if (r.remaining !== n * TX_SIZE) throw decodeError(`"blocktxn" expected ${n * TX_SIZE} bytes of txs, got ${r.remaining}`);
  const txs: Tx[] = new Array(n);
  for (let i = 0; i < n; i++) txs[i] = readTx(r);
  return { type: 'blocktxn', blockHash, txs };
}
