/**
 * Block rules: context-free sanity, context (height, target, time), and state transition.
 * Each returns a Verdict with a stable reason. Pure: time and ancestry arrive as arguments.
 */
import { Verdict, ok, reject } from './verdict.js';
import { Block, BlockHeader, BLOCK_VERSION, blockHash, blockSize, computeMerkleRoot } from './block.js';
import { equalBytes, toHex } from './bytes.js';
import { checkProofOfWork } from './pow.js';
import { ChainParams, MAX_FUTURE_MS, subsidyAt } from './params.js';
import { checkTxSanity, applyTx } from './check-tx.js';
import { txId, txSender } from './tx.js';
import { isMoneyRange, MAX_MONEY } from './amount.js';
import { StateOverlay } from './state-view.js';

/**
 * Reasons that prove only that this body does not match its header (corrupted or mutated in transit,
 * CVE-2012-2459): the header hash must not be marked invalid, the honest body may still arrive.
 */
export const BODY_MISMATCH_REASONS: ReadonlySet<string> = new Set([
  'bad-blk-merkle',
  'bad-blk-merkle-mutated',
  'bad-blk-duplicate-tx',
]);

export interface SanityResult {
  hash: Uint8Array;
  ids: Uint8Array[];
  /** The same ids in hex (the signature cache's and the mempool's keys), made once here. */
  idsHex: string[];
  senders: Uint8Array[];
  /** The senders' address hashes in hex (account keys), made once here. */
  sendersHex: string[];
}

/**
 * A block body already bound to its header by the caller: `ids` are the ids of exactly these
 * transactions, computed by this node, and the merkle root over them (not mutated) equals the header's
 * (compact.ts checkReconstructed does both before a rebuilt or mined block is relayed). Sanity then
 * does not hash the body a second time.
 */
export interface CheckedBody {
  ids: readonly Uint8Array[];
}

/** Context-free checks, cheapest first: proof of work before anything that costs hashing the body. */
export function checkBlockSanity(
  block: Block,
  params: Pick<ChainParams, 'chainId' | 'maxBlockTxs' | 'maxBlockBytes' | 'genesisBits'>,
  checked?: CheckedBody,
): Verdict<SanityResult> {
  const h = block.header;
  const hash = blockHash(h);
  const hv = checkHeaderSanity(h, hash, params.genesisBits);
  if (!hv.ok) return hv;
  if (block.txs.length > params.maxBlockTxs)
    return reject('consensus', 'bad-blk-length', `${block.txs.length} txs, limit ${params.maxBlockTxs}`);
  const size = blockSize(block);
  if (size > params.maxBlockBytes) return reject('consensus', 'bad-blk-size', `${size} bytes, limit ${params.maxBlockBytes}`);
  if (!isMoneyRange(block.reward)) return reject('consensus', 'bad-blk-reward', 'out of range');
  const bound = checked !== undefined && checked.ids.length === block.txs.length;
  const ids = bound ? checked.ids.slice() : block.txs.map(txId);
  const idsHex = ids.map(toHex);
  const seenIds = new Set<string>();
  for (const k of idsHex) {
    if (seenIds.has(k)) return reject('consensus', 'bad-blk-duplicate-tx');
    seenIds.add(k);
  }
  if (!bound) {
    const { root, mutated } = computeMerkleRoot(block, ids);
    if (mutated) return reject('consensus', 'bad-blk-merkle-mutated');
    if (!equalBytes(root, h.merkleRoot)) return reject('consensus', 'bad-blk-merkle');
  }
  const senders: Uint8Array[] = new Array(block.txs.length);
  const sendersHex: string[] = new Array(block.txs.length);
  // A sender's first nonce by address hex; only its later txs need an "address:nonce" key.
  const firstNonce = new Map<string, bigint>();
  let laterNonces: Set<string> | undefined;
  for (let i = 0; i < block.txs.length; i++) {
    const tx = block.txs[i]!;
    const v = checkTxSanity(tx, params);
    if (!v.ok) return v;
    const sender = txSender(tx);
    senders[i] = sender;
    const k = toHex(sender);
    sendersHex[i] = k;
    const first = firstNonce.get(k);
    if (first === undefined) firstNonce.set(k, tx.nonce);
    else {
      const key = k + ':' + tx.nonce.toString();
      if (first === tx.nonce || laterNonces?.has(key)) return reject('consensus', 'bad-blk-duplicate-nonce');
      (laterNonces ??= new Set()).add(key);
    }
  }
  return ok({ hash, ids, idsHex, senders, sendersHex });
}

/**
 * What can be checked on a header alone: version and proof of work against its own bits, which must be
 * no easier than the genesis target (powLimit). Cheapest first, before any body is hashed.
 */
export function checkHeaderSanity(h: BlockHeader, hash: Uint8Array, powLimitBits: number): Verdict {
  if (h.version !== BLOCK_VERSION) return reject('consensus', 'bad-blk-version', `got ${h.version}`);
  const pow = checkProofOfWork(hash, h.bits, powLimitBits);
  if (pow === 'bad-diffbits') return reject('consensus', 'bad-diffbits', `0x${h.bits.toString(16)} is easier than the chain's limit`);
  if (pow !== 'ok') return reject('consensus', 'bad-blk-pow');
  return ok();
}

export interface BlockContext {
  parentHeight: number;
  /** Bits this height must carry (pow.expectedBits). */
  expectedBits: number;
  /** Median timestamp of up to the last 11 ancestors. */
  medianTimePast: number;
  /** Local adjusted clock, ms. */
  now: number;
  /** At a retarget height: the earliest allowed timestamp (parent's minus MAX_TIMEWARP_BLOCKS intervals). */
  minRetargetTimestamp?: number;
}

export function checkBlockContext(block: Block, ctx: BlockContext): Verdict {
  return checkHeaderContext(block.header, ctx);
}

/** Context rules of a header: height, expected bits, median time past, time warp, future limit. */
export function checkHeaderContext(h: BlockHeader, ctx: BlockContext): Verdict {
  if (h.height !== ctx.parentHeight + 1) return reject('consensus', 'bad-blk-height', `expected ${ctx.parentHeight + 1}, got ${h.height}`);
  if (h.bits !== ctx.expectedBits)
    return reject('consensus', 'bad-blk-target', `expected 0x${ctx.expectedBits.toString(16)}, got 0x${h.bits.toString(16)}`);
  if (h.timestamp <= ctx.medianTimePast) return reject('consensus', 'time-too-old', `median time past ${ctx.medianTimePast}`);
  if (ctx.minRetargetTimestamp !== undefined && h.timestamp < ctx.minRetargetTimestamp)
    return reject('consensus', 'time-timewarp-attack', `retarget block older than ${ctx.minRetargetTimestamp}`);
  // Too new is only "not yet": the same block is valid later, so it is never marked invalid.
  if (h.timestamp > ctx.now + MAX_FUTURE_MS) return reject('premature', 'time-too-new');
  return ok();
}

/** Median of the given timestamps (ancestors, newest first or any order). */
export function medianTime(timestamps: readonly number[]): number {
  if (timestamps.length === 0) return 0;
  const s = [...timestamps].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Applies every transaction in order, then pays the miner subsidy + fees, which must equal the
 * block's reward exactly. Signatures are checked elsewhere (in parallel, with a cache).
 */
export function connectBlockState(
  block: Block,
  view: StateOverlay,
  params: Pick<ChainParams, 'subsidy' | 'halvingInterval'>,
  senders: Uint8Array[] = block.txs.map(txSender),
): Verdict<{ fees: bigint }> {
  let fees = 0n;
  for (let i = 0; i < block.txs.length; i++) {
    const tx = block.txs[i]!;
    const v = applyTx(tx, view, senders[i]);
    if (!v.ok) return v;
    fees += tx.fee;
    if (fees > MAX_MONEY) return reject('consensus', 'bad-blk-fee-range');
  }
  const expected = subsidyAt(params, block.header.height) + fees;
  if (block.reward !== expected) return reject('consensus', 'bad-blk-reward', `expected ${expected}, got ${block.reward}`);
  const miner = view.account(block.miner);
  const credited = miner.balance + block.reward;
  if (credited > MAX_MONEY) return reject('consensus', 'bad-blk-reward', 'miner balance overflow');
  view.set(block.miner, { balance: credited, nonce: miner.nonce });
  return ok({ fees });
}
