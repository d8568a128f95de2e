/** The orphan pool is bounded by count and bytes, drops the oldest first, and finds an orphan chain's root. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrphanPool } from '../../node/chain/orphan-pool.js';
import { blockHash, blockSize } from '../../node/core/block.js';
import { toHex } from '../../node/core/bytes.js';
import { ParentRef, makeBlock, testParams } from '../helpers/chain-fixtures.js';

const params = testParams();

function chainOf(n: number, salt: number) {
  const out = [];
  let parent: ParentRef = { hash: new Uint8Array(32).fill(salt), height: 10, timestamp: params.genesisTimestamp };
  for (let i = 0; i < n; i++) {
    const b = makeBlock(params, parent, []);
    out.push(b);
    parent = { hash: blockHash(b.header), height: b.header.height, timestamp: b.header.timestamp };
  }
  return out;
}

test('bounded by count: the oldest orphans go first', () => {
  const pool = new OrphanPool(5, 1 << 30);
  const blocks = chainOf(8, 1);
  for (const b of blocks) pool.add(toHex(blockHash(b.header)), b);
  assert.equal(pool.size, 5);
  assert.ok(!pool.has(toHex(blockHash(blocks[0]!.header))));
  assert.ok(pool.has(toHex(blockHash(blocks[7]!.header))));
});

test('bounded by bytes', () => {
  const blocks = chainOf(4, 2);
  const pool = new OrphanPool(100, blockSize(blocks[0]!) * 2);
  for (const b of blocks) pool.add(toHex(blockHash(b.header)), b);
  assert.equal(pool.size, 2);
});

test('root of an orphan chain is its earliest missing ancestor; children are taken by parent', () => {
  const pool = new OrphanPool();
  const blocks = chainOf(3, 3);
  for (const b of blocks) pool.add(toHex(blockHash(b.header)), b);
  assert.equal(toHex(pool.rootOf(toHex(blockHash(blocks[2]!.header)))!), toHex(new Uint8Array(32).fill(3)));
  const kids = pool.takeChildren(toHex(blockHash(blocks[0]!.header)));
  assert.equal(kids.length, 1);
  assert.equal(kids[0]!.hex, toHex(blockHash(blocks[1]!.header)));
  assert.equal(pool.size, 2);
});
