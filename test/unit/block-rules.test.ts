/**
 * Block rules through the core functions: one test per rejection reason of checkBlockSanity,
 * checkBlockContext and connectBlockState (exact reason and class), the CVE-2012-2459 merkle mutation,
 * the retarget rule, and compact-target / work arithmetic.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Verdict, penaltyFor } from '../../node/core/verdict.js';
import { Block, BLOCK_VERSION, blockHash, blockSize, computeMerkleRoot, encodeHeader } from '../../node/core/block.js';
import { merkleRoot, sha256d, sha256 } from '../../node/core/hash.js';
import { fromHex, toHex } from '../../node/core/bytes.js';
import { MAX_MONEY } from '../../node/core/amount.js';
import { Account, MapStateView, StateOverlay } from '../../node/core/state-view.js';
import { ChainParams, MAX_FUTURE_MS, MEDIAN_TIME_SPAN } from '../../node/core/params.js';
import { Tx, txId } from '../../node/core/tx.js';
import {
  BODY_MISMATCH_REASONS,
  BlockContext,
  checkBlockContext,
  checkBlockSanity,
  connectBlockState,
  medianTime,
} from '../../node/core/check-block.js';
import {
  RetargetParams,
  compactToTarget,
  expectedBits,
  hashMeetsTarget,
  hashMeetsTargetBytes,
  isRetargetHeight,
  searchNonce,
  targetBytes,
  targetToCompact,
  workOf,
} from '../../node/core/pow.js';
import { COIN, DEV, EASY_BITS, ParentRef, makeBlock, makeTx, solve, testParams } from '../helpers/chain-fixtures.js';

const P = testParams();
const G: ParentRef = { hash: P.genesisHash, height: 0, timestamp: P.genesisTimestamp };
const MINER = DEV[7]!.addressHash;
const [a0, a1, a2] = [DEV[0]!, DEV[1]!, DEV[2]!];

function expectReject(v: Verdict<unknown>, reason: string, cls = 'consensus'): void {
  assert.equal(v.ok, false, `expected rejection ${reason}`);
  if (v.ok) return;
  assert.equal(v.reason, reason);
  assert.equal(v.class, cls);
}

function genesisState(): StateOverlay {
  return new StateOverlay(new MapStateView(new Map(P.allocations.map((a) => [toHex(a.address), { balance: a.balance, nonce: 0n }]))));
}

function stateOf(entries: [Uint8Array, Account][]): StateOverlay {
  return new StateOverlay(new MapStateView(new Map(entries.map(([k, v]) => [toHex(k), v]))));
}

/** Recomputes the merkle root from the body, then grinds the nonce: a well-sealed block with any body. */
function reseal(b: Block): Block {
  const { root } = computeMerkleRoot(b);
  return solve({ ...b, header: { ...b.header, merkleRoot: root, nonce: 0n } });
}

/** The first nonce whose hash does NOT meet the header's target. */
function unsolve(b: Block): Block {
  const target = compactToTarget(b.header.bits);
  for (let nonce = 0n; ; nonce++) {
    const header = { ...b.header, nonce };
    if (!hashMeetsTarget(blockHash(header), target)) return { ...b, header };
  }
}

function contextFor(b: Block, over: Partial<BlockContext> = {}): BlockContext {
  return { parentHeight: b.header.height - 1, expectedBits: P.genesisBits, medianTimePast: P.genesisTimestamp, now: b.header.timestamp, ...over };
}

/** alice's transfers with consecutive nonces starting at 0. */
function aliceTxs(n: number): Tx[] {
  return Array.from({ length: n }, (_, i) => makeTx(P, a0, DEV[5]!.addressHash, COIN + BigInt(i), BigInt(i)));
}

const txA = makeTx(P, a0, DEV[5]!.addressHash, 1n * COIN, 0n, 1000n);
const txB = makeTx(P, a1, DEV[6]!.addressHash, 2n * COIN, 0n, 2000n);
const txC = makeTx(P, a2, a0.addressHash, 3n * COIN, 0n, 3000n);

describe('a valid block', () => {
  test('passes sanity and context, connects, and pays subsidy + fees to the miner', () => {
    const b = makeBlock(P, G, [txA, txB, txC, makeTx(P, a0, a1.addressHash, 5n, 1n, 4000n)]);
    const s = checkBlockSanity(b, P);
    assert.equal(s.ok, true);
    if (!s.ok) return;
    assert.deepEqual(s.value.hash, blockHash(b.header));
    assert.deepEqual(s.value.ids, b.txs.map(txId));
    assert.deepEqual(s.value.senders, [a0.addressHash, a1.addressHash, a2.addressHash, a0.addressHash]);
    assert.equal(checkBlockContext(b, contextFor(b)).ok, true);

    const state = genesisState();
    const c = connectBlockState(b, state, P, s.value.senders);
    assert.deepEqual(c, { ok: true, value: { fees: 10_000n } });
    assert.equal(b.reward, P.subsidy + 10_000n);
    assert.deepEqual(state.account(MINER), { balance: P.subsidy + 10_000n, nonce: 0n });
    assert.deepEqual(state.account(a0.addressHash), { balance: 1000n * COIN - COIN - 1000n - 5n - 4000n + 3n * COIN, nonce: 2n });
    assert.deepEqual(state.account(a1.addressHash), { balance: 1000n * COIN - 2n * COIN - 2000n + 5n, nonce: 1n });
    assert.deepEqual(state.account(DEV[5]!.addressHash), { balance: COIN, nonce: 0n });
    // money is conserved: everything the senders lost went to recipients or the miner, plus the subsidy
    const before = genesisState();
    let delta = 0n;
    for (const k of state.changed().keys()) delta += state.changed().get(k)!.balance - (before.account(fromHex(k)).balance);
    assert.equal(delta, P.subsidy);
  });

  test('an empty block pays exactly the subsidy', () => {
    const b = makeBlock(P, G);
    assert.equal(checkBlockSanity(b, P).ok, true);
    const state = genesisState();
    assert.deepEqual(connectBlockState(b, state, P), { ok: true, value: { fees: 0n } });
    assert.equal(state.account(MINER).balance, P.subsidy);
  });
});

describe('checkBlockSanity with a body the caller already bound to its header (CheckedBody)', () => {
  const b = makeBlock(P, G, [txA, txB, txC]);
  const ids = b.txs.map(txId);

  test('gives the same result as hashing the body itself', () => {
    assert.deepEqual(checkBlockSanity(b, P, { ids }), checkBlockSanity(b, P));
  });

  test("uses the caller's ids without hashing again (so only a caller that checked the merkle root may pass them)", () => {
    const foreign = [sha256(Uint8Array.of(1)), sha256(Uint8Array.of(2)), sha256(Uint8Array.of(3))];
    const s = checkBlockSanity(b, P, { ids: foreign });
    assert.equal(s.ok, true);
    if (s.ok) assert.deepEqual(s.value.ids, foreign);
  });

  test('ids of the wrong count are ignored: the body is hashed and checked as usual', () => {
    const s = checkBlockSanity(b, P, { ids: ids.slice(1) });
    assert.equal(s.ok, true);
    if (s.ok) assert.deepEqual(s.value.ids, ids);
    const tampered = { ...b, txs: [txA, txB] };
    expectReject(checkBlockSanity(tampered, P, { ids }), 'bad-blk-merkle');
  });

  test('still refuses a body with a duplicate transaction', () => {
    const dup = reseal({ ...b, txs: [txA, txA] });
    expectReject(checkBlockSanity(dup, P, { ids: [txId(txA), txId(txA)] }), 'bad-blk-duplicate-tx');
  });
});

describe('checkBlockSanity', () => {
  test('bad-blk-version', () => {
    const b = makeBlock(P, G);
    expectReject(checkBlockSanity(reseal({ ...b, header: { ...b.header, version: BLOCK_VERSION + 1 } }), P), 'bad-blk-version');
    expectReject(checkBlockSanity(reseal({ ...b, header: { ...b.header, version: 0 } }), P), 'bad-blk-version');
  });

  test('bad-blk-pow: a header whose hash is above its target', () => {
    const b = unsolve(makeBlock(P, G, [txA]));
    assert.equal(hashMeetsTarget(blockHash(b.header), compactToTarget(EASY_BITS)), false);
    expectReject(checkBlockSanity(b, P), 'bad-blk-pow');
  });

  test('bad-blk-pow: a hard target (Bitcoin genesis difficulty) not met', () => {
    const b = makeBlock(P, G);
    expectReject(checkBlockSanity({ ...b, header: { ...b.header, bits: 0x1d00ffff } }, P), 'bad-blk-pow');
  });

  test('bad-diffbits: bits encoding a negative or zero target are never met', () => {
    const b = makeBlock(P, G);
    for (const bits of [0x20ffffff, 0x20800000, 0x20000000, 0, 0xff7fffff]) {
      assert.equal(compactToTarget(bits), 0n, bits.toString(16));
      expectReject(checkBlockSanity({ ...b, header: { ...b.header, bits } }, P), 'bad-diffbits');
    }
  });

  test('bad-diffbits: a target easier than the genesis target (powLimit), e.g. zero-work 0x2100ffff', () => {
    const b = makeBlock(P, G);
    // Every hash meets 0x2100ffff: without the powLimit check such a header costs nothing to make.
    expectReject(checkBlockSanity({ ...b, header: { ...b.header, bits: 0x2100ffff } }, P), 'bad-diffbits');
    const hard = testParams({ bits: '0x1f00ffff' });
    expectReject(checkBlockSanity(b, hard), 'bad-diffbits');
  });

  test('bad-blk-length: more txs than maxBlockTxs', () => {
    const small: ChainParams = { ...P, maxBlockTxs: 2 };
    const txs = aliceTxs(3);
    expectReject(checkBlockSanity(makeBlock(P, G, txs), small), 'bad-blk-length');
    assert.equal(checkBlockSanity(makeBlock(P, G, txs.slice(0, 2)), small).ok, true);
  });

  test('bad-blk-size: more bytes than maxBlockBytes', () => {
    const small = testParams({ maxBlockBytes: 1000 });
    const seven = makeBlock(P, G, aliceTxs(7));
    const six = makeBlock(P, G, aliceTxs(6));
    assert.equal(blockSize(seven), 92 + 20 + 8 + 1 + 7 * 145);
    assert.ok(blockSize(seven) > 1000 && blockSize(six) <= 1000);
    expectReject(checkBlockSanity(seven, small), 'bad-blk-size');
    assert.equal(checkBlockSanity(six, small).ok, true);
  });

  test('bad-blk-reward: a reward outside the money range', () => {
    const b = makeBlock(P, G);
    expectReject(checkBlockSanity(reseal({ ...b, reward: MAX_MONEY + 1n }), P), 'bad-blk-reward');
    assert.equal(checkBlockSanity(reseal({ ...b, reward: MAX_MONEY }), P).ok, true, 'in range is left to connectBlockState');
  });

  test('bad-blk-merkle: the header does not commit to this body', () => {
    const b = makeBlock(P, G, [txA, txB, txC]);
    const cases: [string, Block][] = [
      ['root altered', solve({ ...b, header: { ...b.header, merkleRoot: sha256(b.header.merkleRoot) } })],
      ['txs reordered', { ...b, txs: [txB, txA, txC] }],
      ['tx replaced', { ...b, txs: [txA, txB, makeTx(P, a2, a0.addressHash, 3n * COIN, 0n, 3001n)] }],
      ['tx dropped', { ...b, txs: [txA, txB] }],
      ['miner changed', { ...b, miner: DEV[6]!.addressHash }],
      ['reward changed', { ...b, reward: b.reward + 1n }],
    ];
    for (const [what, bad] of cases) {
      const v = checkBlockSanity(bad, P);
      assert.equal(v.ok ? 'ok' : v.reason, 'bad-blk-merkle', what);
      expectReject(v, 'bad-blk-merkle');
    }
    assert.ok(BODY_MISMATCH_REASONS.has('bad-blk-merkle'), 'a wrong body does not condemn the header');
  });

  test('bad-blk-duplicate-tx: the same tx twice', () => {
    const b = makeBlock(P, G, [txA, txB, txA]);
    const v = checkBlockSanity(b, P);
    expectReject(v, 'bad-blk-duplicate-tx');
  });

  test('bad-blk-duplicate-nonce: two different txs from one sender with the same nonce', () => {
    const twin = makeTx(P, a0, DEV[6]!.addressHash, 7n, 0n);
    assert.notEqual(toHex(txId(twin)), toHex(txId(txA)));
    expectReject(checkBlockSanity(makeBlock(P, G, [txA, txB, twin]), P), 'bad-blk-duplicate-nonce');
    // The repeat among a sender's later txs (nonces 0, 5, 5) and distinct nonces (0, 5, 6).
    const [n5, n5b, n6] = [5n, 5n, 6n].map((n, i) => makeTx(P, a0, DEV[6 + (i % 2)]!.addressHash, 7n + BigInt(i), n));
    expectReject(checkBlockSanity(makeBlock(P, G, [txA, n5!, txB, n5b!]), P), 'bad-blk-duplicate-nonce');
    assert.equal(checkBlockSanity(makeBlock(P, G, [txA, n5!, txB, n6!]), P).ok, true);
  });

  test('a tx failing its own sanity rejects the block with the tx reason', () => {
    const foreign = makeTx({ chainId: 1337 }, a0, a1.addressHash, COIN, 0n);
    expectReject(checkBlockSanity(makeBlock(P, G, [txB, foreign]), P), 'bad-tx-chain-id');
    const zero = makeTx(P, a0, a1.addressHash, 0n, 0n);
    expectReject(checkBlockSanity(makeBlock(P, G, [zero]), P), 'bad-tx-amount-zero');
  });
});

describe('merkle mutation (CVE-2012-2459)', () => {
  const leaf = (s: string) => sha256d(new TextEncoder().encode(s));
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(leaf) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];

  test('[a,b,c] and [a,b,c,c] share a root; only the second is reported mutated', () => {
    const honest = merkleRoot([a, b, c]);
    const mutated = merkleRoot([a, b, c, c]);
    assert.deepEqual(mutated.root, honest.root);
    assert.equal(honest.mutated, false);
    assert.equal(mutated.mutated, true);
  });

  test('mutation one level up: [a,b,c,d,e,f] vs [a,b,c,d,e,f,e,f]', () => {
    const f = sha256d(e);
    const honest = merkleRoot([a, b, c, d, e, f]);
    const mutated = merkleRoot([a, b, c, d, e, f, e, f]);
    assert.deepEqual(mutated.root, honest.root);
    assert.equal(honest.mutated, false);
    assert.equal(mutated.mutated, true);
  });

  test('structure: one leaf is the root; pairs are sha256d(left || right); an odd node pairs with itself', () => {
    assert.deepEqual(merkleRoot([a]).root, a);
    const ab = sha256d(new Uint8Array([...a, ...b]));
    const cc = sha256d(new Uint8Array([...c, ...c]));
    assert.deepEqual(merkleRoot([a, b]).root, ab);
    assert.deepEqual(merkleRoot([a, b, c]).root, sha256d(new Uint8Array([...ab, ...cc])));
    assert.equal(merkleRoot([a, a]).mutated, true);
    assert.equal(merkleRoot([a, b, a]).mutated, false, 'equal leaves that are not siblings do not mutate the tree');
  });

  test('a block body [a,b,b] under the header of [a,b] is rejected without blaming the header', () => {
    // The reward leaf comes first, so txs [a,b] are leaves [R,a,b] and the mutated twin is txs [a,b,b].
    const honest = makeBlock(P, G, [txA, txB]);
    const mutatedBody: Block = { ...honest, txs: [txA, txB, txB] };
    const hr = computeMerkleRoot(honest);
    const mr = computeMerkleRoot(mutatedBody);
    assert.deepEqual(mr.root, hr.root, 'same root, so the same header and proof of work');
    assert.equal(hr.mutated, false);
    assert.equal(mr.mutated, true);
    assert.equal(checkBlockSanity(honest, P).ok, true);
    const v = checkBlockSanity(mutatedBody, P);
    assert.equal(v.ok, false);
    if (v.ok) return;
    // A mutated tree always repeats a tx id (otherwise it needs a sha256d collision), so the duplicate-id
    // check fires before the mutation check; both are body-mismatch reasons, so the header stays valid.
    assert.equal(v.reason, 'bad-blk-duplicate-tx');
    assert.ok(BODY_MISMATCH_REASONS.has(v.reason));
    assert.ok(BODY_MISMATCH_REASONS.has('bad-blk-merkle-mutated'));
    assert.equal(v.class, 'consensus');
  });

  test('txs [a,b,c] and [a,b,c,c] do NOT collide in a block: the reward leaf shifts the tree', () => {
    const honest = makeBlock(P, G, [txA, txB, txC]);
    const r1 = computeMerkleRoot(honest);
    const r2 = computeMerkleRoot({ ...honest, txs: [txA, txB, txC, txC] });
    assert.notDeepEqual(r2.root, r1.root);
    expectReject(checkBlockSanity({ ...honest, txs: [txA, txB, txC, txC] }, P), 'bad-blk-duplicate-tx');
  });

  test('mutation one level up in a block: txs [a..e] vs [a..e,d,e] share a root', () => {
    const five = [txA, txB, txC, ...aliceTxs(3).slice(1)];
    const honest = makeBlock(P, G, five);
    const mutated: Block = { ...honest, txs: [...five, five[3]!, five[4]!] };
    const mr = computeMerkleRoot(mutated);
    assert.deepEqual(mr.root, honest.header.merkleRoot);
    assert.equal(mr.mutated, true);
    const v = checkBlockSanity(mutated, P);
    assert.equal(v.ok, false);
    if (!v.ok) assert.ok(BODY_MISMATCH_REASONS.has(v.reason), v.reason);
  });
});

describe('checkBlockContext', () => {
  const b = makeBlock(P, G);

  test('a block at the right height, bits and time passes', () => {
    assert.deepEqual(checkBlockContext(b, contextFor(b)), { ok: true, value: undefined });
  });

  test('bad-blk-height', () => {
    expectReject(checkBlockContext(b, contextFor(b, { parentHeight: 1 })), 'bad-blk-height');
    const far = makeBlock(P, { ...G, height: 4 });
    expectReject(checkBlockContext(far, contextFor(b, { parentHeight: 0 })), 'bad-blk-height');
  });

  test('bad-blk-target: bits other than the expected bits for its height', () => {
    expectReject(checkBlockContext(b, contextFor(b, { expectedBits: 0x1f7fffff })), 'bad-blk-target');
    // an easier target than required, even with valid work for it
    const easier = makeBlock(P, G, [], { bits: 0x207fffff });
    expectReject(checkBlockContext(easier, contextFor(easier, { expectedBits: 0x2000ffff })), 'bad-blk-target');
  });

  test('time-too-old: not strictly above the median of the last 11 timestamps', () => {
    const times = [50, 10, 90, 30, 70, 110, 20, 100, 40, 80, 60].map((t) => P.genesisTimestamp + t * 1000);
    assert.equal(times.length, MEDIAN_TIME_SPAN);
    const mtp = medianTime(times);
    assert.equal(mtp, P.genesisTimestamp + 60_000);
    const at = (ts: number) => makeBlock(P, G, [], { timestamp: ts });
    expectReject(checkBlockContext(at(mtp), contextFor(b, { medianTimePast: mtp, now: mtp })), 'time-too-old');
    expectReject(checkBlockContext(at(mtp - 1), contextFor(b, { medianTimePast: mtp, now: mtp })), 'time-too-old');
    // mtp + 1 is accepted although it is below the newest ancestor (110 s): only the median counts
    assert.equal(checkBlockContext(at(mtp + 1), contextFor(b, { medianTimePast: mtp, now: mtp })).ok, true);
  });

  test('medianTime', () => {
    assert.equal(medianTime([]), 0);
    assert.equal(medianTime([5]), 5);
    assert.equal(medianTime([3, 1, 2]), 2);
    assert.equal(medianTime([4, 1, 3, 2]), 3);
  });

  test('time-too-new: more than 2 h ahead is premature, not invalid', () => {
    const now = b.header.timestamp - MAX_FUTURE_MS;
    const v = checkBlockContext(b, contextFor(b, { now: now - 1 }));
    expectReject(v, 'time-too-new', 'premature');
    assert.equal(penaltyFor(v), 0);
    assert.equal(checkBlockContext(b, contextFor(b, { now })).ok, true, 'exactly 2 h ahead is allowed');
    assert.equal(MAX_FUTURE_MS, 7_200_000);
  });
});

describe('connectBlockState', () => {
  test('bad-blk-reward: more than subsidy + fees', () => {
    const b = makeBlock(P, G, [txA, txB]);
    const v = connectBlockState(reseal({ ...b, reward: b.reward + 1n }), genesisState(), P);
    expectReject(v, 'bad-blk-reward');
  });

  test('bad-blk-reward: less than subsidy + fees (no burning either)', () => {
    const b = makeBlock(P, G, [txA, txB]);
    expectReject(connectBlockState(reseal({ ...b, reward: b.reward - 1n }), genesisState(), P), 'bad-blk-reward');
    expectReject(connectBlockState(reseal({ ...b, reward: P.subsidy }), genesisState(), P), 'bad-blk-reward');
    expectReject(connectBlockState(reseal({ ...b, reward: 0n }), genesisState(), P), 'bad-blk-reward');
    assert.equal(checkBlockSanity(reseal({ ...b, reward: b.reward - 1n }), P).ok, true, 'a context-free check cannot see fees');
  });

  test('bad-blk-reward: the miner balance would overflow MAX_MONEY', () => {
    const b = makeBlock(P, G);
    const state = stateOf([[MINER, { balance: MAX_MONEY - P.subsidy + 1n, nonce: 0n }]]);
    expectReject(connectBlockState(b, state, P), 'bad-blk-reward');
  });

  test('bad-blk-fee-range: the sum of fees above MAX_MONEY', () => {
    const fee = MAX_MONEY / 2n + 1n;
    const t1 = makeTx(P, a0, a2.addressHash, 1n, 0n, fee);
    const t2 = makeTx(P, a1, a2.addressHash, 1n, 0n, fee);
    const state = stateOf([
      [a0.addressHash, { balance: MAX_MONEY, nonce: 0n }],
      [a1.addressHash, { balance: MAX_MONEY, nonce: 0n }],
    ]);
    expectReject(connectBlockState(makeBlock(P, G, [t1, t2]), state, P), 'bad-blk-fee-range');
  });

  test('a tx that fails against the state rejects the block with the tx reason', () => {
    expectReject(connectBlockState(makeBlock(P, G, [makeTx(P, a0, a1.addressHash, COIN, 1n)]), genesisState(), P), 'tx-nonce-too-high');
    expectReject(connectBlockState(makeBlock(P, G, [txA, txA]), genesisState(), P), 'tx-nonce-too-low');
    expectReject(connectBlockState(makeBlock(P, G, [makeTx(P, DEV[6]!, a1.addressHash, COIN, 0n)]), genesisState(), P), 'insufficient-balance');
    expectReject(connectBlockState(makeBlock(P, G, [makeTx(P, a0, a1.addressHash, 1000n * COIN, 0n)]), genesisState(), P), 'insufficient-balance');
  });

  test('txs see the effects of earlier txs in the same block', () => {
    // dev6 starts empty, is paid by alice, and spends it on in the same block
    const pay = makeTx(P, a0, DEV[6]!.addressHash, 2n * COIN, 0n);
    const spend = makeTx(P, DEV[6]!, a1.addressHash, COIN, 0n);
    const state = genesisState();
    assert.equal(connectBlockState(makeBlock(P, G, [pay, spend]), state, P).ok, true);
    assert.deepEqual(state.account(DEV[6]!.addressHash), { balance: COIN - 1000n, nonce: 1n });
    expectReject(connectBlockState(makeBlock(P, G, [spend, pay]), genesisState(), P), 'insufficient-balance');
  });
});

describe('retarget (expectedBits)', () => {
  const R: RetargetParams = { genesisBits: 0x1f00ffff, targetBlockTimeMs: 1000, retargetInterval: 10 };
  const parentBits = 0x1e00ffff; // powLimit / 256
  const T = compactToTarget(parentBits);
  const span = 9 * 1000; // (interval - 1) gaps between the window's first and last block
  const at10 = (actual: number, bits = parentBits) => expectedBits(R, 10, bits, { first: 1_000_000, last: 1_000_000 + actual });

  test('height 0 carries the genesis bits; between retargets a block carries its parent bits', () => {
    assert.equal(expectedBits(R, 0, 0x1d00ffff), R.genesisBits);
    for (const h of [1, 5, 9, 11, 19]) {
      assert.equal(isRetargetHeight(R, h), false);
      assert.equal(expectedBits(R, h, parentBits, { first: 0, last: 1 }), parentBits);
    }
    assert.equal(isRetargetHeight(R, 10), true);
    assert.equal(isRetargetHeight(R, 20), true);
  });

  test('retargetInterval 0 or 1 never retargets', () => {
    for (const retargetInterval of [0, 1])
      assert.equal(expectedBits({ ...R, retargetInterval }, 10, parentBits, { first: 0, last: 1 }), parentBits);
  });

  test('on schedule: the target is unchanged', () => {
    assert.equal(at10(span), parentBits);
  });

  test('too fast lowers the target in proportion', () => {
    const twice = at10(span / 2);
    assert.equal(twice, targetToCompact(T / 2n));
    assert.ok(compactToTarget(twice) < T);
    assert.equal(at10(span * 0.75), targetToCompact((T * 3n) / 4n));
  });

  test('much too fast is clamped at a 4x harder target', () => {
    const quarter = targetToCompact(T / 4n);
    for (const actual of [span / 4, span / 5, 100, 1, 0, -5000]) assert.equal(at10(actual), quarter, `actual ${actual}`);
    assert.notEqual(at10(span / 4 + 40), quarter);
  });

  test('too slow raises the target, clamped at 4x and capped at the genesis target', () => {
    assert.equal(at10(span * 2), targetToCompact(T * 2n));
    assert.equal(at10(span * 4), targetToCompact(T * 4n));
    assert.equal(at10(span * 100), targetToCompact(T * 4n));
    assert.equal(at10(span * 100, R.genesisBits), R.genesisBits, 'never easier than the genesis target');
    const nearLimit = targetToCompact(compactToTarget(R.genesisBits) / 2n);
    assert.equal(at10(span * 3, nearLimit), R.genesisBits);
  });

  test('a chain mined too fast must carry the new bits at the retarget height', () => {
    const P10 = testParams({ retargetInterval: 10 });
    let parent: ParentRef = G;
    const times: number[] = [P10.genesisTimestamp];
    let tip: Block | undefined;
    for (let h = 1; h <= 9; h++) {
      tip = makeBlock(P10, parent, [], { timestamp: parent.timestamp + 100 });
      times.push(tip.header.timestamp);
      parent = { hash: blockHash(tip.header), height: h, timestamp: tip.header.timestamp };
    }
    const bits = expectedBits(P10, 10, tip!.header.bits, { first: times[0]!, last: times[9]! });
    assert.equal(bits, targetToCompact(compactToTarget(EASY_BITS) / 4n), '900 ms for 9 s of work: clamped at 4x');
    const ctx = { parentHeight: 9, expectedBits: bits, medianTimePast: medianTime(times.slice(-11)), now: parent.timestamp };
    const stale = makeBlock(P10, parent, [], { timestamp: parent.timestamp + 100 });
    expectReject(checkBlockContext(stale, ctx), 'bad-blk-target');
    const fresh = makeBlock(P10, parent, [], { timestamp: parent.timestamp + 100, bits });
    assert.equal(checkBlockContext(fresh, ctx).ok, true);
    assert.equal(checkBlockSanity(fresh, P10).ok, true);
  });
});

describe('proof of work arithmetic', () => {
  test('compact <-> target for known Bitcoin values', () => {
    assert.equal(compactToTarget(0x1d00ffff), 0xffffn << 208n);
    assert.equal(compactToTarget(0x1d00ffff).toString(16), 'ffff' + '0'.repeat(52));
    assert.equal(targetToCompact(0xffffn << 208n), 0x1d00ffff);
    assert.equal(compactToTarget(0x207fffff), 0x7fffffn << 232n);
    assert.equal(targetToCompact(0x7fffffn << 232n), 0x207fffff);
    assert.equal(compactToTarget(0x1b0404cb), 0x0404cbn << 192n);
    assert.equal(targetToCompact(0x0404cbn << 192n), 0x1b0404cb);
  });

  test("Bitcoin Core's SetCompact/GetCompact cases", () => {
    const cases: [number, bigint, number][] = [
      [0x00000000, 0n, 0],
      [0x00123456, 0n, 0],
      [0x01003456, 0n, 0],
      [0x02000056, 0n, 0],
      [0x03000000, 0n, 0],
      [0x04000000, 0n, 0],
      [0x01123456, 0x12n, 0x01120000],
      [0x02123456, 0x1234n, 0x02123400],
      [0x03123456, 0x123456n, 0x03123456],
      [0x04123456, 0x12345600n, 0x04123456],
      [0x05009234, 0x92340000n, 0x05009234],
      [0x20123456, 0x123456n << 232n, 0x20123456],
    ];
    for (const [bits, target, back] of cases) {
      assert.equal(compactToTarget(bits), target, bits.toString(16));
      assert.equal(targetToCompact(target), back, bits.toString(16));
    }
    assert.equal(targetToCompact(0x80n), 0x02008000, 'a mantissa with the sign bit set is shifted');
    assert.equal(compactToTarget(0x01803456), 0n, 'negative');
    assert.equal(compactToTarget(0xff123456), 0n, 'overflow');
    assert.equal(compactToTarget(0x21010000), 0n, 'overflow just above 2^256');
  });

  test('round trip: targetToCompact(compactToTarget(b)) == b for normalised bits', () => {
    for (const bits of [0x1d00ffff, 0x207fffff, 0x1e53e2d6, 0x1f00ffff, 0x1b0404cb, 0x170331db, 0x03123456])
      assert.equal(targetToCompact(compactToTarget(bits)), bits, bits.toString(16));
  });

  test('workOf: 2^256 / (target + 1), strictly more work for a lower target', () => {
    assert.equal(workOf(0x1d00ffff), 0x100010001n, "Bitcoin's genesis block work");
    assert.equal(workOf(0x207fffff), 2n);
    assert.equal(workOf(0x20800000), 0n, 'invalid bits earn no work');
    const ladder = [0x207fffff, 0x2000ffff, 0x1f00ffff, 0x1e53e2d6, 0x1e00ffff, 0x1d00ffff, 0x1b0404cb];
    for (let i = 1; i < ladder.length; i++) {
      assert.ok(compactToTarget(ladder[i]!) < compactToTarget(ladder[i - 1]!));
      assert.ok(workOf(ladder[i]!) > workOf(ladder[i - 1]!), ladder[i]!.toString(16));
    }
  });

  test('hashMeetsTarget: the hash as a big-endian integer must be <= target', () => {
    const target = 0x00ffn << 240n;
    const h = (big: bigint) => fromHex(big.toString(16).padStart(64, '0'));
    assert.equal(hashMeetsTarget(h(target), target), true);
    assert.equal(hashMeetsTarget(h(target - 1n), target), true);
    assert.equal(hashMeetsTarget(h(target + 1n), target), false);
    assert.equal(hashMeetsTarget(new Uint8Array(32), 0n), false, 'a zero target is never met');
    // byte order: the first byte is the most significant
    const low = new Uint8Array(32);
    low[31] = 0xff;
    assert.equal(hashMeetsTarget(low, 0xffn), true);
    const high = new Uint8Array(32);
    high[0] = 0x01;
    assert.equal(hashMeetsTarget(high, 0xffn), false);
  });

  test('hashMeetsTargetBytes agrees with hashMeetsTarget at the boundary', () => {
    const h = (big: bigint) => fromHex(big.toString(16).padStart(64, '0'));
    for (const target of [0x00ffn << 240n, compactToTarget(EASY_BITS), compactToTarget(0x1d00ffff), 1n]) {
      assert.deepEqual(h(target), targetBytes(target));
      for (const v of [target - 1n, target, target + 1n, 0n, (1n << 256n) - 1n]) {
        if (v < 0n) continue;
        assert.equal(hashMeetsTargetBytes(h(v), targetBytes(target)), hashMeetsTarget(h(v), target), `${v} vs ${target}`);
      }
    }
  });

  test('searchNonce finds the first nonce that meets the target, across the 32-bit carry', () => {
    const b = makeBlock(P, G);
    const header = encodeHeader(b.header);
    const target = compactToTarget(EASY_BITS);
    const start = 0xfffffffen;
    const found = searchNonce(header, target, start, 1000, sha256d)!;
    assert.ok(found >= start);
    for (let n = start; n < found; n++) assert.equal(hashMeetsTarget(blockHash({ ...b.header, nonce: n }), target), false);
    assert.equal(hashMeetsTarget(blockHash({ ...b.header, nonce: found }), target), true);
    assert.equal(searchNonce(header, 0n, 0n, 10, sha256d), undefined, 'a zero target is never met');
  });

  test('a solved block: its header hash meets the target', () => {
    const b = makeBlock(P, G);
    assert.equal(hashMeetsTarget(sha256d(encodeHeader(b.header)), compactToTarget(b.header.bits)), true);
  });
});
