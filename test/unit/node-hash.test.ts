/**
 * sha256d through node:crypto (node/verify/node-hash.ts): agrees with noble, and the core refuses a
 * replacement that does not agree (so a broken backend can never change ids or proof of work).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha256d, useSha256d } from '../../node/core/hash.js';
import { installNodeHash, nodeSha256d } from '../../node/verify/node-hash.js';

test('node:crypto sha256d equals noble on 300 inputs of 0..1,200 bytes and returns plain Uint8Arrays', () => {
  for (let n = 0; n < 1200; n += 4) {
    const d = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
    const got = nodeSha256d(d);
    assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype);
    assert.deepEqual(got, sha256(sha256(d)));
  }
  assert.equal(installNodeHash(), true);
  assert.deepEqual(sha256d(new Uint8Array(92)), sha256(sha256(new Uint8Array(92))));
});

test('a sha256d that disagrees with noble is refused and changes nothing', () => {
  const before = sha256d(new Uint8Array([1, 2, 3]));
  assert.equal(useSha256d((d) => sha256(d)), false);
  assert.deepEqual(sha256d(new Uint8Array([1, 2, 3])), before);
});
