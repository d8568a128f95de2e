/**
 * Compact blocks, the pure part (node/p2p/protocol/compact.ts): short ids are keyed per block and salt,
 * a block is rebuilt from candidates, a short id shared by two candidates counts as missing, duplicate
 * short ids in an announcement fail it, and a false match (a collision) is caught by the merkle root.
 * The short ids' 64-byte sha256 (sha256-64.ts) is checked against the general one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../node/core/bytes.js';
import { txId } from '../../node/core/tx.js';
import { checkReconstructed, makeCmpctBlock, matchesShortIds, reconstruct, shortIdKey, shortIdNumber, ShortIds } from '../../node/p2p/protocol/compact.js';
import { sha256Of64 } from '../../node/p2p/protocol/sha256-64.js';
import { sha256 } from '../../node/core/hash.js';
import { seededRandom } from '../helpers/prng.js';
import { COIN, DEV, makeBlock, makeTx, testParams } from '../helpers/chain-fixtures.js';

const params = testParams();
const txs = [0n, 1n, 2n, 3n].map((n) => makeTx(params, DEV[0]!, DEV[1]!.addressHash, COIN, n));
const block = makeBlock(params, { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp }, txs);
const cands = txs.map((tx) => ({ id: txId(tx), tx }));

test('short ids depend on the block and the salt', () => {
  const id = txId(txs[0]!);
  const a = new ShortIds(shortIdKey(block.header, 1n)).bytes(id).slice();
  const b = new ShortIds(shortIdKey(block.header, 2n)).bytes(id).slice();
  const c = new ShortIds(shortIdKey({ ...block.header, nonce: block.header.nonce + 1n }, 1n)).bytes(id).slice();
  assert.equal(a.length, 6);
  assert.notEqual(toHex(a), toHex(b));
  assert.notEqual(toHex(a), toHex(c));
  assert.equal(toHex(makeCmpctBlock(block, 1n).shortIds[0]!), toHex(a));
});

test('a block is rebuilt from candidates in block order; what is absent is listed as missing', () => {
  const m = makeCmpctBlock(block, 42n);
  const full = reconstruct(m, [...cands].reverse());
  assert.equal(full.kind, 'complete');
  if (full.kind === 'complete') {
    assert.deepEqual(full.block.txs.map((t) => toHex(txId(t))), cands.map((c) => toHex(c.id)));
    assert.ok(checkReconstructed(full.block));
  }
  const part = reconstruct(m, [cands[0]!, cands[2]!]);
  assert.equal(part.kind, 'partial');
  if (part.kind === 'partial') assert.deepEqual(part.missing, [1, 3]);
  assert.ok(matchesShortIds(m, [1, 3], [txs[1]!, txs[3]!]));
  assert.ok(!matchesShortIds(m, [1, 3], [txs[3]!, txs[1]!]), 'swapped answers do not match');
});

test('a collision: two candidates with one short id count as missing; a false match fails the merkle root', () => {
  const m = makeCmpctBlock(block, 7n);
  const impostor = makeTx(params, DEV[2]!, DEV[1]!.addressHash, COIN, 0n);
  // Simulated collision: the impostor presents tx 1's id, so it gets tx 1's short id.
  const twice = reconstruct(m, [...cands, { id: cands[1]!.id, tx: impostor }]);
  assert.equal(twice.kind, 'partial');
  if (twice.kind === 'partial') assert.deepEqual(twice.missing, [1]);
  const wrong = reconstruct(m, [cands[0]!, { id: cands[1]!.id, tx: impostor }, cands[2]!, cands[3]!]);
  assert.equal(wrong.kind, 'complete');
  if (wrong.kind === 'complete') assert.ok(!checkReconstructed(wrong.block), 'the merkle root catches the false match');
});

test('an announcement with two equal short ids fails (full fetch)', () => {
  const m = makeCmpctBlock(block, 7n);
  const dup = { ...m, shortIds: [m.shortIds[0]!, m.shortIds[0]!, m.shortIds[2]!, m.shortIds[3]!] };
  assert.deepEqual(reconstruct(dup, cands), { kind: 'failed', reason: 'duplicate-short-ids' });
});

test('the 64-byte sha256 behind short ids equals sha256 on 2,000 seeded inputs; short ids are its first 6 bytes', () => {
  const rnd = seededRandom(9_152);
  const m = new Uint8Array(64);
  for (let k = 0; k < 2_000; k++) {
    for (let i = 0; i < 64; i++) m[i] = Math.floor(rnd() * 256);
    // Edge patterns too: all zeros, all ones.
    if (k === 0) m.fill(0);
    if (k === 1) m.fill(0xff);
    const want = sha256(m);
    const got = sha256Of64(m);
    const bytes = new Uint8Array(32);
    for (let w = 0; w < 8; w++) new DataView(bytes.buffer).setUint32(4 * w, got[w]!);
    assert.equal(toHex(bytes), toHex(want), `input ${toHex(m)}`);
    const s = new ShortIds(m.subarray(0, 32));
    assert.equal(toHex(s.bytes(m.subarray(32))), toHex(want.subarray(0, 6)));
    assert.equal(s.number(m.subarray(32)), shortIdNumber(want.subarray(0, 6)));
  }
  assert.throws(() => sha256Of64(new Uint8Array(63)), /expected 64 bytes, got 63/);
});
