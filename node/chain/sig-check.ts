/**
 * Signature checking for block connection: skips transactions whose signatures the mempool already
 * verified (sig cache keyed by tx id), checks low-s inline, and sends the rest to a batch verifier
 * (the worker pool in production, inline noble in tests). No I/O of its own.
 */
import { Block } from '../core/block.js';
import { toHex } from '../core/bytes.js';
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

export async function checkBlockSignatures(
  block: Block,
  ids: Uint8Array[],
  verifier: BatchSignatureVerifier,
  cache: SignatureCache | undefined,
): Promise<Verdict> {
  const jobs: SignatureJob[] = [];
  const pending: string[] = [];
  for (let i = 0; i < block.txs.length; i++) {
    const key = toHex(ids[i]!);
    if (cache?.has(key)) continue;
    const tx = block.txs[i]!;
    if (!isValidScalarPair(tx.sig)) return reject('consensus', 'bad-tx-signature', `tx ${key}: r or s out of range`);
    if (!isLowS(tx.sig)) return reject('consensus', 'bad-tx-high-s', `tx ${key}`);
    jobs.push({ msg: txSigningHash(tx), sig: tx.sig, publicKey: tx.from });
    pending.push(key);
  }
  if (jobs.length === 0) return ok();
  const results = await verifier.verifyAll(jobs);
  for (let i = 0; i < results.length; i++) if (!results[i]) return reject('consensus', 'bad-tx-signature', `tx ${pending[i]}`);
  if (cache) for (const k of pending) cache.add(k);
  return ok();
}
