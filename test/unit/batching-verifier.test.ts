/**
 * BatchingVerifier: admission signatures gathered into batches by count and by time, verdicts routed
 * back to each caller in order, and a refused batch verified inline rather than lost.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchingVerifier } from '../../node/verify/batching-verifier.js';
import { VerifyJob } from '../../node/verify/verify-pool.js';

/** A fake backend: a job "verifies" when its first message byte is odd. Records each batch's size. */
function backend(fail = false) {
  const batches: number[] = [];
  return {
    batches,
    verifyAll: async (jobs: readonly VerifyJob[]) => {
      batches.push(jobs.length);
      if (fail) throw new Error('queue full');
      return jobs.map((j) => j.msg[0]! % 2 === 1);
    },
  };
}
const inline = (msg: Uint8Array) => msg[0]! % 2 === 1;
const job = (i: number) => [Uint8Array.of(i), new Uint8Array(64), new Uint8Array(33)] as const;

describe('BatchingVerifier', () => {
  it('sends a full batch at once and routes each verdict to its caller', async () => {
    const pool = backend();
    const v = new BatchingVerifier({ pool, inline, maxBatch: 4, maxDelayMs: 10_000 });
    const verdicts = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => v.verify(...job(i))));
    assert.deepEqual(verdicts, [false, true, false, true, false, true, false, true]);
    assert.deepEqual(pool.batches, [4, 4]);
  });

  it('sends a partial batch after maxDelayMs', async () => {
    const pool = backend();
    const v = new BatchingVerifier({ pool, inline, maxBatch: 64, maxDelayMs: 1 });
    const verdicts = await Promise.all([1, 2, 3].map((i) => v.verify(...job(i))));
    assert.deepEqual(verdicts, [true, false, true]);
    assert.deepEqual(pool.batches, [3]);
  });

  it('verifies inline when the pool refuses a batch', async () => {
    const pool = backend(true);
    const v = new BatchingVerifier({ pool, inline, maxBatch: 2, maxDelayMs: 1 });
    const verdicts = await Promise.all([1, 2, 3].map((i) => v.verify(...job(i))));
    assert.deepEqual(verdicts, [true, false, true]);
    assert.equal(v.counts.inlineFallbacks, 2);
  });

  it('rejects bad options', () => {
    const pool = backend();
    assert.throws(() => new BatchingVerifier({ pool, inline, maxBatch: 0 }), /maxBatch/);
    assert.throws(() => new BatchingVerifier({ pool, inline, maxDelayMs: -1 }), /maxDelayMs/);
  });
});
