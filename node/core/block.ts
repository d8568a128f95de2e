/**
 * Blocks: a 92-byte header plus a body that names the miner, its reward and the transactions.
 *   header: version u32 | height u32 | prevHash 32 | merkleRoot 32 | timestamp u64 (ms) | bits u32 | nonce u64
 *   body:   miner address-hash 20 | reward u64 | txCount varint | txCount x 145-byte tx
 * The block hash is sha256d(header). The merkle tree's first leaf is the reward leaf
 * sha256d(height u32 | miner | reward), then the tx ids in block order, so the proof of work
 * commits to who is paid and how much. Pure.
 */
import { Reader, Writer, toHex } from './bytes.js';
import { HASH_LEN, merkleRoot, sha256d } from './hash.js';
import { ADDRESS_HASH_LEN } from './keys.js';
import { NodeError } from './errors.js';
import { TX_SIZE, Tx, readTx, txId, writeTx } from './tx.js';

export const HEADER_SIZE = 4 + 4 + HASH_LEN + HASH_LEN + 8 + 4 + 8;
export const BLOCK_VERSION = 1;
/** Wire ceiling on a block's tx count, checked before allocation; params.maxBlockTxs is the consensus limit. */
export const MAX_BLOCK_TXS_WIRE = 20_000;

export interface BlockHeader {
  version: number;
  height: number;
  prevHash: Uint8Array;
  merkleRoot: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** Compact target. */
  bits: number;
  nonce: bigint;
}

export interface Block {
  header: BlockHeader;
  miner: Uint8Array;
  reward: bigint;
  txs: Tx[];
}

export function writeHeader(w: Writer, h: BlockHeader): Writer {
  if (!Number.isSafeInteger(h.timestamp) || h.timestamp < 0) throw new RangeError(`bad timestamp ${h.timestamp}`);
  return w
    .u32(h.version)
    .u32(h.height)
    .fixed(h.prevHash, HASH_LEN)
    .fixed(h.merkleRoot, HASH_LEN)
    .u64(BigInt(h.timestamp))
    .u32(h.bits)
    .u64(h.nonce);
}

export function readHeader(r: Reader): BlockHeader {
  const version = r.u32('header.version');
  const height = r.u32('header.height');
  const prevHash = r.fixed(HASH_LEN, 'header.prevHash');
  const merkle = r.fixed(HASH_LEN, 'header.merkleRoot');
  const ts = r.u64('header.timestamp');
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('header.timestamp too large');
  return { version, height, prevHash, merkleRoot: merkle, timestamp: Number(ts), bits: r.u32('header.bits'), nonce: r.u64('header.nonce') };
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return writeHeader(new Writer(HEADER_SIZE), h).finish();
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const r = new Reader(bytes);
  const h = readHeaderStrict(r);
  r.end('header');
  return h;
}

/** readHeader with range errors mapped to DECODE_ERROR. */
function readHeaderStrict(r: Reader): BlockHeader {
  try {
    return readHeader(r);
  } catch (e) {
    if (e instanceof RangeError) throw decodeErr(e.message);
    throw e;
  }
}

function decodeErr(msg: string): NodeError {
  return new NodeError('DECODE_ERROR', msg);
}

export function blockHash(h: BlockHeader): Uint8Array {
  return sha256d(encodeHeader(h));
}

export function blockHashHex(h: BlockHeader): string {
  return toHex(blockHash(h));
}

export function encodeBlock(b: Block): Uint8Array {
  const w = new Writer(HEADER_SIZE + 40 + b.txs.length * TX_SIZE);
  writeHeader(w, b.header).fixed(b.miner, ADDRESS_HASH_LEN).u64(b.reward).varint(b.txs.length);
  for (const tx of b.txs) writeTx(w, tx);
  return w.finish();
}

/** @throws NodeError DECODE_ERROR on a malformed, oversized or trailing-byte encoding. */
export function decodeBlock(bytes: Uint8Array): Block {
  const r = new Reader(bytes);
  const header = readHeaderStrict(r);
  const miner = r.fixed(ADDRESS_HASH_LEN, 'block.miner');
  const reward = r.u64('block.reward');
  const n = r.count('block.txCount', MAX_BLOCK_TXS_WIRE);
  if (r.remaining !== n * TX_SIZE) throw decodeErr(`"block.txs" expected ${n * TX_SIZE} bytes, got ${r.remaining}`);
  const txs: Tx[] = new Array(n);
  for (let i = 0; i < n; i++) txs[i] = readTx(r);
  r.end('block');
  return { header, miner, reward, txs };
}

export function blockSize(b: Block): number {
  return HEADER_SIZE + ADDRESS_HASH_LEN + 8 + varintSize(b.txs.length) + b.txs.length * TX_SIZE;
}

function varintSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

export function rewardLeaf(height: number, miner: Uint8Array, reward: bigint): Uint8Array {
  return sha256d(new Writer(32).u32(height).fixed(miner, ADDRESS_HASH_LEN).u64(reward).finish());
}

/** Merkle root over the reward leaf and the tx ids; `ids` may be passed when already computed. */
export function computeMerkleRoot(b: Omit<Block, 'header'> & { header: Pick<BlockHeader, 'height'> }, ids?: readonly Uint8Array[]) {
  const leaves = [rewardLeaf(b.header.height, b.miner, b.reward), ...(ids ?? b.txs.map(txId))];
  return merkleRoot(leaves);
}
