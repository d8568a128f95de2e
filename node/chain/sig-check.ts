/**
 * Signature checking for block connection: skips transactions whose signatures the mempool already
 * verified (sig cache keyed by tx id), checks low-s inline, and sends the rest to a batch verifier
 * (the worker pool in production, inline noble in tests). No I/O of its own.
 */
import { Block } from '../core/block.js';
import { isLowS, isValidScalarPair, verifyReference } from '../core/keys.js';
import { txSigningHash } from '../core/tx.js';
import { Verdict, ok, reject } from '../core/verdict.js';

export interface SignatureJob {
  msg: Uint8Array;
  sig: Uint8Array;
  publicKey: Uint8Array;
}

export interface BatchSignatureVerifier {
  verifyAll(jobs: SignatureJob[]): Promise<boolean[]>;
}

export interface SignatureCache {
  has(key: string): boolean;
  add(key: string): void;
}

export const inlineBatchVerifier: BatchSignatureVerifier = {
  async verifyAll(jobs) {
    return jobs.map((j) => verifyReference(j.msg, j.sig, j.publicKey));
  },
};

/** A block's signatures still to verify (prepareBlockSignatures), or its verdict when none are. */
export type PreparedSignatures = { done: Verdict } | { done?: undefined; jobs: SignatureJob[]; keys: string[] };

/**
 * The signature jobs of `block`: those not in the cache, after the inline range and low-s checks (a
 * failure there is the verdict). `idsHex`: the tx ids in hex, in block order.
 */
export function prepareBlockSignatures(block: Block, idsHex: readonly string[], cache: SignatureCache | undefined): PreparedSignatures {
  const jobs: SignatureJob[] = [];
  const keys: string[] = [];
  for (let i = 0; i < block.txs.length; i++) {
    const key = idsHex[i]!;
    if (cache?.has(key)) continue;
    const tx = block.txs[i]!;
    if (!isValidScalarPair(tx.sig)) return { done: reject('consensus', 'bad-tx-signature', `tx ${key}: r or s out of range`) };
    if (!isLowS(tx.sig)) return { done: reject('consensus', 'bad-tx-high-s', `tx ${key}`) };
    jobs.push({ msg: txSigningHash(tx), sig: tx.sig, publicKey: tx.from });
    keys.push(key);
  }
  return jobs.length === 0 ? { done: ok() } : { jobs, keys };
}

/** The verdict from the verifier's answers to prepared jobs (from `results[offset]` on); caches the good ones. */
export function finishBlockSignatures(keys: readonly string[], results: readonly boolean[], offset: number, cache: SignatureCache | undefined): Verdict {
  for (let i = 0; i < keys.length; i++) if (!results[offset + i]) return reject('consensus', 'bad-tx-signature', `tx ${keys[i]}`);
  if (cache) for (const k of keys) cache.add(k);
  return ok();
}

export async function checkBlockSignatures(
  block: Block,
  idsHex: readonly string[],
  verifier: BatchSignatureVerifier,
  cache: SignatureCache | undefined,
): Promise<Verdict> {
  const p = prepareBlockSignatures(block, idsHex, cache);
  if (p.done) return p.done;
  return finishBlockSignatures(p.keys, await verifier.verifyAll(p.jobs), 0, cache);
}
