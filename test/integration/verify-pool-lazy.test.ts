/**
 * The verify pool starts its worker threads on first use, so an idle node runs none (issue #9: idle
 * memory). Small batches verified inline start nothing either; the first batch for the workers does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import { publicKeyOf, sign } from '../../node/core/keys.js';
import { VerifyPool } from '../../node/verify/verify-pool.js';

test('no worker runs until a batch needs one; then at most `threads`', async () => {
  const pool = VerifyPool.create({ threads: 2, inlineBelow: 4 });
  try {
    assert.equal(pool.started, 0);
    const sk = sha256(new TextEncoder().encode('lazy pool key'));
    const pk = publicKeyOf(sk);
    const jobs = Array.from({ length: 16 }, (_, i) => {
      const msg = sha256(new TextEncoder().encode(`lazy ${i}`));
      return { msg, sig: sign(msg, sk), publicKey: pk };
    });
    assert.deepEqual(await pool.verifyAll(jobs.slice(0, 2)), [true, true]);
    assert.equal(pool.started, 0, 'a batch below inlineBelow is verified inline');
    assert.deepEqual(await pool.verifyAll(jobs.slice(0, 1), { inlineBelow: 0 }), [true]);
    assert.equal(pool.started, 1, 'one signature forced to the workers starts one worker');
    assert.deepEqual(await pool.verifyAll(jobs.slice(0, 8)), new Array(8).fill(true));
    assert.equal(pool.started, 1, 'a call of MIN_CHUNK_JOBS signatures goes to one worker whole');
    assert.deepEqual(await pool.verifyAll(jobs), new Array(16).fill(true));
    assert.equal(pool.started, 2);
  } finally {
    await pool.close();
  }
});
