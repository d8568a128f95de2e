/**
 * txSender's memo (by public key) gives exactly addressHashOf, and holds at most MAX_CACHED_SENDERS keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CACHED_SENDERS, Tx, cachedSenderCount, txSender } from '../../node/core/tx.js';
import { addressHashOf } from '../../node/core/keys.js';

function txFrom(i: number): Tx {
  const from = new Uint8Array(33);
  from[0] = 2;
  new DataView(from.buffer).setUint32(1, i);
  return { chainId: 1, from, to: new Uint8Array(20), amount: 1n, fee: 1n, nonce: 0n, sig: new Uint8Array(64) };
}

test('txSender: memoised result equals addressHashOf, first and second time', () => {
  const tx = txFrom(7);
  assert.deepEqual(txSender(tx), addressHashOf(tx.from));
  assert.deepEqual(txSender({ ...tx, from: tx.from.slice() }), addressHashOf(tx.from));
});

test('txSender: the memo stops at MAX_CACHED_SENDERS keys, oldest dropped, results still right', () => {
  for (let i = 0; i < MAX_CACHED_SENDERS + 50; i++) txSender(txFrom(1_000_000 + i));
  assert.equal(cachedSenderCount(), MAX_CACHED_SENDERS);
  const early = txFrom(1_000_000); // evicted: computed again
  assert.deepEqual(txSender(early), addressHashOf(early.from));
  assert.equal(cachedSenderCount(), MAX_CACHED_SENDERS);
});
