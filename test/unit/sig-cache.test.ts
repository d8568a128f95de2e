/** SigCache: membership, the bound, and oldest-first eviction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SigCache } from '../../node/verify/sig-cache.js';
import { isNodeError } from '../../node/core/errors.js';

test('has is false until add, true after', () => {
  const c = new SigCache(4);
  assert.equal(c.has('aa'), false);
  c.add('aa');
  assert.equal(c.has('aa'), true);
  assert.equal(c.has('bb'), false);
  assert.equal(c.size, 1);
});

test('adding the same key twice keeps one entry', () => {
  const c = new SigCache(4);
  c.add('aa');
  c.add('aa');
  assert.equal(c.size, 1);
});

test('never holds more than maxEntries and evicts the oldest first', () => {
  const c = new SigCache(3);
  for (const k of ['a', 'b', 'c', 'd', 'e']) c.add(k);
  assert.equal(c.size, 3);
  assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((k) => c.has(k)), [false, false, true, true, true]);
});

test('has does not refresh an entry; re-adding does', () => {
  const c = new SigCache(2);
  c.add('a');
  c.add('b');
  assert.equal(c.has('a'), true); // a read: 'a' stays the oldest
  c.add('c');
  assert.equal(c.has('a'), false);
  assert.equal(c.has('b'), true);
  c.add('b'); // now 'c' is the oldest
  c.add('d');
  assert.deepEqual(['b', 'c', 'd'].map((k) => c.has(k)), [true, false, true]);
});

test('the default bound is 100,000 entries', () => {
  const c = new SigCache();
  for (let i = 0; i < 100_001; i++) c.add(i.toString(16));
  assert.equal(c.size, 100_000);
  assert.equal(c.has('0'), false);
  assert.equal(c.has('1'), true);
  assert.equal(c.has((100_000).toString(16)), true);
});

test('rejects a bound below 1 or not an integer', () => {
  for (const bad of [0, -1, 1.5, Number.NaN])
    assert.throws(
      () => new SigCache(bad),
      (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT'),
      `maxEntries ${bad}`,
    );
});
