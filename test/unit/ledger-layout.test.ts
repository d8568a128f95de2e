/**
 * The ledger's in-place key writers (used by writeConnect to put a block's 3n keys in one buffer) give
 * exactly the bytes of the one-key builders, and never write outside their slot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { historyKey, historyKeyInto, txIndexKey, txIndexKeyInto } from '../../node/storage/layout.js';

test('txIndexKeyInto / historyKeyInto write the same bytes as txIndexKey / historyKey', () => {
  const id = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
  const addr = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
  const out = new Uint8Array(8 + 33 + 29 + 8).fill(0xee);
  const k1 = txIndexKeyInto(out, 8, id);
  const k2 = historyKeyInto(out, 8 + 33, addr, 0x01020304, 0xfffffffe);
  assert.deepEqual(k1, txIndexKey(id));
  assert.deepEqual(k2, historyKey(addr, 0x01020304, 0xfffffffe));
  assert.deepEqual(out.subarray(0, 8), new Uint8Array(8).fill(0xee));
  assert.deepEqual(out.subarray(8 + 33 + 29), new Uint8Array(8).fill(0xee));
});
