/**
 * Proof of work: compact targets (Bitcoin's nBits), work per block, and the retarget rule. Pure.
 *
 * A header hash (sha256d of the 92-byte header) read as a big-endian 256-bit integer must be <= target.
 * Retarget: at every height h that is a multiple of `retargetInterval`, the new target is
 *   old * actual / expected, where actual = ts(h-1) - ts(h-1-interval) and expected = interval * blockTime.
 * The windows overlap by one block (the last block of one window starts the next), which closes the
 * time warp: a window cannot start earlier than the previous one ended, so the sum of every window's
 * `actual` is the real time elapsed (Bitcoin's windows do not overlap; BIP-94 patches that). The first
 * window, which has no block before genesis, spans heights 0..interval-1, i.e. interval-1 intervals;
 * with actual clamped to [expected/4, expected*4] and the result capped at the genesis target (powLimit).
 * Between retargets a block carries its parent's target.
 */
import { bytesToBigInt } from './keys.js';

const TWO_256 = 1n << 256n;

/** @returns the 256-bit target, or 0n for a negative / overflowing encoding (never met). */
export function compactToTarget(bits: number): bigint {
  const exponent = bits >>> 24;
  let mantissa = BigInt(bits & 0x007fffff);
  if (bits & 0x00800000) return 0n; // negative in Bitcoin's encoding: invalid
  let target = exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3));
  if (target >= TWO_256) return 0n;
  return target;
}

export function targetToCompact(target: bigint): number {
  if (target <= 0n) return 0;
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let mantissa = size <= 3 ? target << BigInt(8 * (3 - size)) : target >> BigInt(8 * (size - 3));
  if (mantissa & 0x00800000n) {
    mantissa >>= 8n;
    size++;
  }
  return ((size << 24) | Number(mantissa)) >>> 0;
}

/** Expected number of hashes to meet the target: 2^256 / (target + 1). */
export function workOf(bits: number): bigint {
  // Every header of a retarget window carries the same bits: a 256-bit division each time is waste.
  if (bits === lastWork.bits) return lastWork.work;
  const target = compactToTarget(bits);
  const work = target <= 0n ? 0n : TWO_256 / (target + 1n);
  lastWork = { bits, work };
  return work;
}

let lastWork = { bits: -1, work: 0n };

/**
 * A header's own proof of work: its target is positive, no easier than the chain's (powLimit, the
 * genesis target) and met by its hash. The powLimit check makes a zero-work header (e.g. bits
 * 0x2100ffff) fail at once, before anything else about it costs us time.
 */
export function checkProofOfWork(hash: Uint8Array, bits: number, powLimitBits: number): 'ok' | 'bad-diffbits' | 'high-hash' {
  const target = compactToTarget(bits);
  if (target <= 0n || target > compactToTarget(powLimitBits)) return 'bad-diffbits';
  return hashMeetsTarget(hash, target) ? 'ok' : 'high-hash';
}

export function hashMeetsTarget(hash: Uint8Array, target: bigint): boolean {
  return target > 0n && bytesToBigInt(hash) <= target;
}

export interface RetargetParams {
  genesisBits: number;
  targetBlockTimeMs: number;
  retargetInterval: number;
}

/** True when the block at `height` gets a freshly computed target. */
export function isRetargetHeight(params: RetargetParams, height: number): boolean {
  return height > 0 && params.retargetInterval > 1 && height % params.retargetInterval === 0;
}

/**
 * The target a block at `height` must carry.
 * @param parentBits bits of the block at height-1
 * @param windowTimes timestamps of the window's first and last block (only read at retarget heights) and
 *   `span`, the number of block intervals between them (default interval - 1)
 */
export function expectedBits(
  params: RetargetParams,
  height: number,
  parentBits: number,
  windowTimes?: { first: number; last: number; span?: number },
): number {
  if (height === 0) return params.genesisBits;
  if (!isRetargetHeight(params, height) || !windowTimes) return parentBits;
  const expected = BigInt((windowTimes.span ?? params.retargetInterval - 1) * params.targetBlockTimeMs);
  let actual = BigInt(windowTimes.last - windowTimes.first);
  if (actual < expected / 4n) actual = expected / 4n;
  if (actual > expected * 4n) actual = expected * 4n;
  if (actual <= 0n) actual = 1n;
  const powLimit = compactToTarget(params.genesisBits);
  let next = (compactToTarget(parentBits) * actual) / expected;
  if (next > powLimit) next = powLimit;
  if (next < 1n) next = 1n;
  return targetToCompact(next);
}

/** The target as 32 big-endian bytes, for byte-wise comparison in the nonce search. */
export function targetBytes(target: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let t = target;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

/** hash (read big-endian) <= target, without converting to bigint: the miner's hot path. */
export function hashMeetsTargetBytes(hash: Uint8Array, target: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    if (hash[i]! !== target[i]!) return hash[i]! < target[i]!;
  }
  return true;
}

/**
 * Tries `iterations` nonces starting at `startNonce` on an encoded header (nonce in the last 8 bytes,
 * little-endian); returns the first that meets the target. Pure and bounded, so a caller can slice work.
 */
export function searchNonce(
  headerBytes: Uint8Array,
  target: bigint,
  startNonce: bigint,
  iterations: number,
  hash: (b: Uint8Array) => Uint8Array,
): bigint | undefined {
  if (target <= 0n) return undefined;
  const buf = headerBytes.slice();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const at = buf.length - 8;
  const tb = targetBytes(target);
  // The nonce is split into two u32 halves so the loop does no bigint arithmetic.
  let lo = Number(startNonce & 0xffffffffn);
  let hi = Number((startNonce >> 32n) & 0xffffffffn);
  for (let i = 0; i < iterations; i++) {
    view.setUint32(at, lo, true);
    view.setUint32(at + 4, hi, true);
    if (hashMeetsTargetBytes(hash(buf), tb)) return (BigInt(hi) << 32n) | BigInt(lo);
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
  }
  return undefined;
}
