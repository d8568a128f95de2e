/**
 * Signature verification throughput, the node's limiting cost:
 *   verifyPath          the path the node verifies with: 'native' (libsecp256k1 binding) or 'openssl'
 *   verifyPerSec        raw @noble/secp256k1 verify on one core: the reference other benchmarks are read against
 *   fastVerifyPerSec    fastVerifier (OpenSSL via node:crypto) on one core
 *   nativeVerifyPerSec  the optional secp256k1 package's native binding on one core (0 when it did not load)
 *   poolVerifyPerSec    VerifyPool.verifyAll over ~4,000 jobs on (up to) two worker threads, active path
 * Each is measured for ~1.5 s after a warm-up, over a fixed set of genuine signatures from 64 keys
 * (senders repeat, as in real blocks, so the fast verifier's key cache is warm). Every verdict is
 * checked to be true, so a broken verifier cannot post a fast figure. Writes no files; prints nothing.
 */
import * as secp from '@noble/secp256k1';
import { sha256 } from '@noble/hashes/sha2.js';
import { publicKeyOf, sign } from '../node/core/keys.js';
import { NodeError } from '../node/core/errors.js';
import { activeVerifyPath, fastVerifier } from '../node/verify/fast-verifier.js';
import { verifyNative } from '../node/verify/native-verifier.js';
import { VerifyJob, VerifyPool } from '../node/verify/verify-pool.js';

const KEYS = 64;
const SIGNATURES = 512;
const POOL_BATCH = 4000;
const WARMUP_MS = 300;
const MEASURE_MS = 1500;

export interface VerifyBenchResult {
  verifyPath: string;
  verifyPerSec: number;
  fastVerifyPerSec: number;
  nativeVerifyPerSec: number;
  poolVerifyPerSec: number;
}

function fixtures(): VerifyJob[] {
  const secrets = Array.from({ length: KEYS }, (_, i) => sha256(new TextEncoder().encode(`bench-key-${i}`)));
  const keys = secrets.map((sk) => publicKeyOf(sk));
  return Array.from({ length: SIGNATURES }, (_, i) => {
    const msg = sha256(new TextEncoder().encode(`bench-msg-${i}`));
    return { msg, sig: sign(msg, secrets[i % KEYS]!), publicKey: keys[i % KEYS]! };
  });
}

/** Calls `verify` round-robin over the jobs for `ms`; returns verifications per second. */
function rateOf(jobs: readonly VerifyJob[], ms: number, verify: (j: VerifyJob) => boolean): number {
  const start = performance.now();
  let n = 0;
  let elapsed = 0;
  do {
    for (let k = 0; k < 8; k++, n++)
      if (!verify(jobs[n % jobs.length]!)) throw new NodeError('INTERNAL', `bench: job ${n % jobs.length} did not verify`);
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (n * 1000) / elapsed;
}

async function poolRate(pool: VerifyPool, batch: VerifyJob[], ms: number): Promise<number> {
  const start = performance.now();
  let n = 0;
  let elapsed = 0;
  do {
    const verdicts = await pool.verifyAll(batch);
    if (!verdicts.every((v) => v)) throw new NodeError('INTERNAL', 'bench: a pooled job did not verify');
    n += batch.length;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (n * 1000) / elapsed;
}

/** @throws NodeError INTERNAL when a genuine signature fails to verify in any backend. */
export async function benchVerify(): Promise<VerifyBenchResult> {
  const jobs = fixtures();
  const noble = (j: VerifyJob) => secp.verify(j.sig, j.msg, j.publicKey, { prehash: true, lowS: true, format: 'compact' });
  const fast = (j: VerifyJob) => fastVerifier.verify(j.msg, j.sig, j.publicKey);

  rateOf(jobs, WARMUP_MS, noble);
  const verifyPerSec = rateOf(jobs, MEASURE_MS, noble);
  rateOf(jobs, WARMUP_MS, fast);
  const fastVerifyPerSec = rateOf(jobs, MEASURE_MS, fast);
  let nativeVerifyPerSec = 0;
  if (verifyNative) {
    const native = (j: VerifyJob) => verifyNative!(j.msg, j.sig, j.publicKey);
    rateOf(jobs, WARMUP_MS, native);
    nativeVerifyPerSec = rateOf(jobs, MEASURE_MS, native);
  }

  const pool = VerifyPool.create();
  try {
    const batch = Array.from({ length: POOL_BATCH }, (_, i) => jobs[i % jobs.length]!);
    // Warm-up: starts the workers, fills each one's key cache with every key, compiles the hot path.
    await pool.verifyAll(jobs);
    const poolVerifyPerSec = await poolRate(pool, batch, MEASURE_MS);
    return { verifyPath: activeVerifyPath, verifyPerSec, fastVerifyPerSec, nativeVerifyPerSec, poolVerifyPerSec };
  } finally {
    await pool.close();
  }
}
