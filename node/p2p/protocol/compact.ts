/**
 * Compact blocks (BIP-152 in spirit), the pure part: short transaction ids and rebuilding a block from
 * a cmpctblock and the transactions we hold. docs/protocol.md ("Compact block relay") is the
 * specification.
 *
 * Short id of a transaction in one announcement:
 *   key     = sha256(header bytes (92) || salt u64 little-endian, as on the wire)
 *   shortId = first 6 bytes of sha256(key || txid)
 * The key changes with every block and every announcement's random salt, so nobody can precompute
 * transactions whose short ids collide in blocks to come (BIP-152's reason for SipHash keyed by the
 * header and a nonce; sha256 keeps the node on the hash it already has). 48 bits: with a 5,000-tx
 * mempool and a 1,000-tx block, a false match happens about once in 5 * 10^7 blocks, and is caught
 * by the merkle root (the receiver then fetches the full block).
 *
 * Pure: imports node/core, messages.ts and sha256-64.ts only.
 */
import { Block, BlockHeader, computeMerkleRoot, encodeHeader } from '../../core/block.js';
import { equalBytes } from '../../core/bytes.js';
import { sha256 } from '../../core/hash.js';
import { Tx, txId } from '../../core/tx.js';
import { CmpctBlockMessage, SHORT_ID_LEN } from './messages.js';
import { sha256Of64 } from './sha256-64.js';

export function shortIdKey(header: BlockHeader, salt: bigint): Uint8Array {
  const h = encodeHeader(header);
  const buf = new Uint8Array(h.length + 8);
  buf.set(h);
  new DataView(buf.buffer).setBigUint64(h.length, salt, true);
  return sha256(buf);
}

/** A 6-byte short id as a number (48 bits, exact in a double): cheap to use as a Map key. */
export function shortIdNumber(id: Uint8Array): number {
  return id[0]! * 2 ** 40 + id[1]! * 2 ** 32 + ((id[2]! << 24) >>> 0) + (id[3]! << 16) + (id[4]! << 8) + id[5]!;
}

/**
 * Computes short ids under one key; reuses one buffer. The 64-byte sha256 is sha256-64.ts (the same
 * function, about twice as fast as the general one and without allocation: reconstruction hashes
 * every mempool transaction).
 */
export class ShortIds {
  private readonly buf = new Uint8Array(64);
  constructor(key: Uint8Array) {
    this.buf.set(key, 0);
  }
  bytes(txid: Uint8Array): Uint8Array {
    const n = this.number(txid);
    const out = new Uint8Array(SHORT_ID_LEN);
    const hi = Math.floor(n / 2 ** 16);
    out[0] = hi >>> 24;
    out[1] = (hi >>> 16) & 0xff;
    out[2] = (hi >>> 8) & 0xff;
    out[3] = hi & 0xff;
    out[4] = (n >>> 8) & 0xff;
    out[5] = n & 0xff;
    return out;
  }
  /** The first 6 bytes of sha256(key || txid) as a number (shortIdNumber of `bytes`). */
  number(txid: Uint8Array): number {
    this.buf.set(txid, 32);
    const s = sha256Of64(this.buf);
    return (s[0]! >>> 0) * 2 ** 16 + (s[1]! >>> 16);
  }
}

/** The cmpctblock announcing `block`, under `salt`. `ids` may be passed when already computed. */
export function makeCmpctBlock(block: Block, salt: bigint, ids?: readonly Uint8Array[]): CmpctBlockMessage {
  const s = new ShortIds(shortIdKey(block.header, salt));
  const txids = ids ?? block.txs.map(txId);
  return { type: 'cmpctblock', header: block.header, miner: block.miner, reward: block.reward, salt, shortIds: txids.map((id) => s.bytes(id)) };
}

export interface Candidate {
  id: Uint8Array;
  tx: Tx;
}

export type Reconstruction =
  /** Every transaction found; `block` still has to match its merkle root (checkReconstructed). `ids`: its tx ids. */
  | { kind: 'complete'; block: Block; ids: Uint8Array[] }
  /** `missing` indexes (increasing) still have to be fetched; `txs` and `ids` have holes there. */
  | { kind: 'partial'; txs: (Tx | undefined)[]; ids: (Uint8Array | undefined)[]; missing: number[] }
  /** The announcement itself is unusable (two equal short ids): fetch the full block. */
  | { kind: 'failed'; reason: 'duplicate-short-ids' };

/**
 * Fills a cmpctblock's slots from `candidates` (the mempool). A short id two candidates share is
 * treated as missing (we cannot tell which one the block holds), as BIP-152 does.
 */
export function reconstruct(m: CmpctBlockMessage, candidates: Iterable<Candidate>): Reconstruction {
  const wanted = new Map<number, number>();
  for (let i = 0; i < m.shortIds.length; i++) {
    const n = shortIdNumber(m.shortIds[i]!);
    if (wanted.has(n)) return { kind: 'failed', reason: 'duplicate-short-ids' };
    wanted.set(n, i);
  }
  const txs: (Tx | undefined)[] = new Array(m.shortIds.length);
  const ids: (Uint8Array | undefined)[] = new Array(m.shortIds.length);
  const ambiguous = new Set<number>();
  if (wanted.size > 0) {
    const s = new ShortIds(shortIdKey(m.header, m.salt));
    for (const c of candidates) {
      const i = wanted.get(s.number(c.id));
      if (i === undefined) continue;
      if (txs[i] !== undefined) ambiguous.add(i);
      else {
        txs[i] = c.tx;
        ids[i] = c.id;
      }
    }
  }
  const missing: number[] = [];
  for (let i = 0; i < txs.length; i++) {
    if (ambiguous.has(i)) txs[i] = ids[i] = undefined;
    if (txs[i] === undefined) missing.push(i);
  }
  if (missing.length > 0) return { kind: 'partial', txs, ids, missing };
  return { kind: 'complete', block: { header: m.header, miner: m.miner, reward: m.reward, txs: txs as Tx[] }, ids: ids as Uint8Array[] };
}

/**
 * Whether the rebuilt block matches its header's merkle root (a false short-id match would not).
 * `ids`: the transactions' ids when known (the candidates'), else computed.
 */
export function checkReconstructed(block: Block, ids?: readonly Uint8Array[]): boolean {
  const r = computeMerkleRoot(block, ids);
  return !r.mutated && equalBytes(r.root, block.header.merkleRoot);
}

/**
 * Whether every transaction in `txs` has the short id announced at its index (blocktxn, audits).
 * Returns their ids when they all do, else undefined.
 */
export function matchesShortIds(m: Pick<CmpctBlockMessage, 'header' | 'salt' | 'shortIds'>, indexes: number[], txs: Tx[]): Uint8Array[] | undefined {
  if (indexes.length !== txs.length) return undefined;
  const s = new ShortIds(shortIdKey(m.header, m.salt));
  const ids: Uint8Array[] = new Array(txs.length);
  for (let k = 0; k < txs.length; k++) {
    const want = m.shortIds[indexes[k]!];
    ids[k] = txId(txs[k]!);
    if (!want || !equalBytes(s.bytes(ids[k]!), want)) return undefined;
  }
  return ids;
}
