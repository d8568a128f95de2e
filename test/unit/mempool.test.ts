/**
 * Mempool and mempool policy, against an in-memory chain view whose tip state moves by core
 * connectBlockState, so what the pool selects is checked by the same rules a block must pass.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool, MempoolChainView, RemovalReason } from '../../node/chain/mempool.js';
import {
  MAX_NONCE_AHEAD,
  checkPendingNonce,
  compareFeeRate,
  contiguousRun,
  fundableChain,
  isReplacementAllowed,
} from '../../node/chain/policy.js';
import { Block, HEADER_SIZE, blockHash } from '../../node/core/block.js';
import { toHex } from '../../node/core/bytes.js';
import { connectBlockState } from '../../node/core/check-block.js';
import { CURVE_N, SignatureVerifier, bytesToBigInt, referenceVerifier } from '../../node/core/keys.js';
import { ChainParams } from '../../node/core/params.js';
import { Account, MapStateView, StateOverlay } from '../../node/core/state-view.js';
import { TX_SIZE, Tx, signTx, txIdHex } from '../../node/core/tx.js';
import { assembleBlock } from '../../node/miner/template.js';
import { SigCache } from '../../node/verify/sig-cache.js';
import { COIN, DEV, ParentRef, makeBlock, makeTx, testParams } from '../helpers/chain-fixtures.js';

const params = testParams();
const TO = DEV[6]!.addressHash;

/** Tip state in a Map, moved by the core block rules; snapshots stand in for undo data. */
class MemChain implements MempoolChainView {
  accounts = new Map<string, Account>();
  tip: ParentRef;
  /**
   * Delays for successive getAccounts calls: decreasing ones make later calls answer first, as a real
   * store may, which reorders concurrent admissions unless the pool serializes them.
   */
  delaysMs: number[] = [];

  constructor(readonly params: ChainParams) {
    for (const a of params.allocations) this.accounts.set(toHex(a.address), { balance: a.balance, nonce: 0n });
    this.tip = { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp };
  }

  async getAccounts(addresses: Uint8Array[]): Promise<Map<string, Account>> {
    const delay = this.delaysMs.shift() ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const out = new Map<string, Account>();
    for (const a of addresses) {
      const acct = this.accounts.get(toHex(a));
      if (acct) out.set(toHex(a), { ...acct });
    }
    return out;
  }

  snapshot(): { accounts: Map<string, Account>; tip: ParentRef } {
    return { accounts: new Map(this.accounts), tip: this.tip };
  }

  restore(s: { accounts: Map<string, Account>; tip: ParentRef }): void {
    this.accounts = new Map(s.accounts);
    this.tip = s.tip;
  }

  /** Mines `txs` on the tip; fails the test if the block rules reject them. */
  connect(txs: Tx[]): Block {
    const block = makeBlock(this.params, this.tip, txs);
    const view = new StateOverlay(new MapStateView(this.accounts));
    const v = connectBlockState(block, view, this.params);
    assert.ok(v.ok, `block rejected: ${v.ok ? '' : v.reason}`);
    for (const [k, a] of view.changed()) this.accounts.set(k, a);
    this.tip = { hash: blockHash(block.header), height: block.header.height, timestamp: block.header.timestamp };
    return block;
  }
}

class CountingVerifier implements SignatureVerifier {
  calls = 0;
  verify(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): boolean {
    this.calls++;
    return referenceVerifier.verify(msg, sig, pub);
  }
}

function setup(opts: { maxCount?: number; maxBytes?: number; maxNonceAhead?: number } = {}) {
  const chain = new MemChain(params);
  const verifier = new CountingVerifier();
  const sigCache = new SigCache();
  const pool = new Mempool({ chain, verifier, sigCache, ...opts });
  const removed: { ids: string[]; reason: RemovalReason }[] = [];
  pool.on('removed', (ids, reason) => removed.push({ ids, reason }));
  return { chain, verifier, sigCache, pool, removed };
}

const tx = (from: number, nonce: bigint, fee = 1000n, amount = COIN): Tx => makeTx(params, DEV[from]!, TO, amount, nonce, fee);

async function accept(pool: Mempool, t: Tx): Promise<string> {
  const v = await pool.acceptTx(t);
  assert.ok(v.ok, `expected acceptance, got ${v.ok ? '' : v.reason}`);
  return v.value.idHex;
}

async function rejected(pool: Mempool, t: Tx, reason: string, cls: string): Promise<void> {
  const v = await pool.acceptTx(t);
  assert.equal(v.ok, false, `expected ${reason}, got acceptance`);
  if (v.ok) return;
  assert.equal(v.reason, reason);
  assert.equal(v.class, cls);
}

function withHighS(t: Tx): Tx {
  const s = bytesToBigInt(t.sig.subarray(32));
  const sig = t.sig.slice();
  sig.set(Buffer.from((CURVE_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return { ...t, sig };
}

describe('mempool policy helpers', () => {
  it('orders by fee rate exactly, best first', () => {
    assert.equal(compareFeeRate({ fee: 2n, size: 100 }, { fee: 1n, size: 100 }), -1);
    assert.equal(compareFeeRate({ fee: 1n, size: 100 }, { fee: 2n, size: 100 }), 1);
    // 3/200 and 3/200 tie; 301/200 beats 3/2 per byte only by the exact cross product.
    assert.equal(compareFeeRate({ fee: 3n, size: 200 }, { fee: 3n, size: 200 }), 0);
    assert.equal(compareFeeRate({ fee: 301n, size: 200 }, { fee: 3n, size: 2 }), -1);
  });

  it('allows replacement only for a fee at least the minimum relay fee higher (>= +1 when that is 0)', () => {
    assert.equal(isReplacementAllowed({ fee: 1000n }, { fee: 2000n }, 1000n), true);
    assert.equal(isReplacementAllowed({ fee: 1000n }, { fee: 1999n }, 1000n), false);
    assert.equal(isReplacementAllowed({ fee: 1000n }, { fee: 1001n }, 1000n), false);
    assert.equal(isReplacementAllowed({ fee: 1000n }, { fee: 1001n }, 0n), true);
    assert.equal(isReplacementAllowed({ fee: 1000n }, { fee: 1000n }, 0n), false);
  });

  it('places nonces: low is consensus, a gap or too far ahead is policy', () => {
    const low = checkPendingNonce(4n, 5n, 7n);
    assert.ok(!low.ok && low.reason === 'tx-nonce-too-low' && low.class === 'consensus');
    const gap = checkPendingNonce(8n, 5n, 7n);
    assert.ok(!gap.ok && gap.reason === 'tx-nonce-too-high' && gap.class === 'policy');
    const far = checkPendingNonce(5n + BigInt(MAX_NONCE_AHEAD), 5n, 5n + BigInt(MAX_NONCE_AHEAD));
    assert.ok(!far.ok && far.reason === 'tx-nonce-too-high' && far.class === 'policy');
    assert.deepEqual(checkPendingNonce(7n, 5n, 7n), { ok: true, value: 'append' });
    assert.deepEqual(checkPendingNonce(6n, 5n, 7n), { ok: true, value: 'replace' });
  });

  it('finds the gap-free run and the fundable prefix', () => {
    const p = (nonce: bigint, cost = 10n) => ({ nonce, cost, fee: 1n, size: 1 });
    const chain = [p(3n), p(5n), p(6n), p(8n)];
    assert.deepEqual(contiguousRun(chain, 5n), { start: 1, length: 2 });
    assert.deepEqual(contiguousRun(chain, 4n), { start: 1, length: 0 });
    assert.deepEqual(fundableChain(chain, { nonce: 5n, balance: 100n }), [chain[1], chain[2]]);
    assert.deepEqual(fundableChain(chain, { nonce: 5n, balance: 15n }), [chain[1]]);
    assert.deepEqual(fundableChain(chain, { nonce: 5n, balance: 100n }, 1), [chain[1]]);
  });

  it('contiguousRun (bisection) agrees with a linear count on random strictly increasing chains', () => {
    const p = (nonce: bigint) => ({ nonce, cost: 1n, fee: 1n, size: 1 });
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let t = 0; t < 500; t++) {
      const chain = [];
      let nonce = BigInt(rand(5));
      for (let i = rand(70); i > 0; i--) chain.push(p((nonce += BigInt(rand(8) === 0 ? 2 + rand(3) : 1))));
      const account = BigInt(rand(12));
      let start = 0;
      while (start < chain.length && chain[start]!.nonce < account) start++;
      let length = 0;
      while (start + length < chain.length && chain[start + length]!.nonce === account + BigInt(length)) length++;
      assert.deepEqual(contiguousRun(chain, account), { start, length });
    }
  });
});

describe('Mempool.acceptTx', () => {
  it('accepts a valid tx, emits it, records it and fills the sig cache', async () => {
    const { pool, sigCache } = setup();
    const seen: string[] = [];
    pool.on('tx', (_t, idHex) => seen.push(idHex));
    const t = tx(0, 0n);
    const v = await pool.acceptTx(t);
    assert.ok(v.ok);
    assert.equal(v.value.idHex, txIdHex(t));
    assert.equal(toHex(v.value.id), v.value.idHex);
    assert.deepEqual(seen, [v.value.idHex]);
    assert.equal(pool.has(v.value.idHex), true);
    assert.equal(pool.get(v.value.idHex), t);
    assert.equal(pool.size, 1);
    assert.equal(pool.bytes, TX_SIZE);
    assert.equal(sigCache.has(v.value.idHex), true);
    const [entry] = pool.entries();
    assert.equal(entry!.idHex, v.value.idHex);
    assert.deepEqual(entry!.sender, DEV[0]!.addressHash);
  });

  it('rejects a known tx as a duplicate', async () => {
    const { pool } = setup();
    const t = tx(0, 0n);
    await accept(pool, t);
    await rejected(pool, t, 'txn-already-known', 'duplicate');
  });

  it('rejects core sanity failures with core reasons', async () => {
    const { pool } = setup();
    const wrongChain = signTx({ chainId: params.chainId + 1, from: DEV[0]!.publicKey, to: TO, amount: COIN, fee: 1000n, nonce: 0n }, DEV[0]!.privateKey);
    await rejected(pool, wrongChain, 'bad-tx-chain-id', 'consensus');
    await rejected(pool, tx(0, 0n, 1000n, 0n), 'bad-tx-amount-zero', 'consensus');
    assert.equal(pool.size, 0);
  });

  it('rejects a fee below the minimum as policy', async () => {
    const { pool } = setup();
    await rejected(pool, tx(0, 0n, params.minFee - 1n), 'tx-fee-too-low', 'policy');
  });

  it('rejects high-s and bad signatures, checking signatures only after cheap checks', async () => {
    const { pool, verifier, sigCache } = setup();
    const t = tx(0, 0n);
    await rejected(pool, withHighS(t), 'bad-tx-high-s', 'consensus');
    const forged = { ...t, amount: 2n * COIN }; // signature no longer covers the amount
    await rejected(pool, forged, 'bad-tx-signature', 'consensus');
    assert.equal(verifier.calls, 1);
    assert.equal(sigCache.has(txIdHex(forged)), false);
    // A forged tx that also fails a cheap check never reaches the verifier.
    await rejected(pool, { ...tx(0, 5n), amount: 3n * COIN }, 'tx-nonce-too-high', 'policy');
    assert.equal(verifier.calls, 1);
    assert.equal(pool.size, 0);
  });

  it('rejects a nonce below the account nonce as consensus', async () => {
    const { pool, chain } = setup();
    chain.connect([tx(0, 0n)]);
    await rejected(pool, tx(0, 0n, 2000n), 'tx-nonce-too-low', 'consensus');
    await accept(pool, tx(0, 1n));
  });

  it('rejects a nonce gap and a nonce beyond the ahead limit as policy', async () => {
    const { pool } = setup({ maxNonceAhead: 3 });
    await rejected(pool, tx(0, 1n), 'tx-nonce-too-high', 'policy');
    for (const n of [0n, 1n, 2n]) await accept(pool, tx(0, n));
    await rejected(pool, tx(0, 3n), 'tx-nonce-too-high', 'policy');
    assert.equal(pool.size, 3);
  });

  it('rejects what the account alone cannot pay as consensus, and what pending spends leave unfundable as policy', async () => {
    const { pool } = setup();
    await rejected(pool, tx(5, 0n), 'insufficient-balance', 'consensus'); // DEV 5 has no allocation
    await accept(pool, tx(0, 0n, 1000n, 600n * COIN));
    await rejected(pool, tx(0, 1n, 1000n, 600n * COIN), 'insufficient-balance', 'policy');
    await rejected(pool, tx(0, 1n, 1000n, 1001n * COIN), 'insufficient-balance', 'consensus');
    await accept(pool, tx(0, 1n, 1000n, 400n * COIN - 2000n));
  });

  it('serializes concurrent calls, so a sender chain submitted at once is accepted in order', async () => {
    const { pool, chain } = setup();
    chain.delaysMs = [30, 20, 10];
    const results = await Promise.all([0n, 1n, 2n].map((n) => pool.acceptTx(tx(0, n))));
    assert.deepEqual(results.map((r) => r.ok), [true, true, true]);
    assert.equal(pool.pendingNonce(DEV[0]!.addressHash, 0n), 3n);
  });

  it('serializes concurrent calls, so the same tx twice at once is a duplicate', async () => {
    const { pool, chain } = setup();
    chain.delaysMs = [20, 5];
    const t = tx(0, 0n);
    const [a, b] = await Promise.all([pool.acceptTx(t), pool.acceptTx(t)]);
    assert.equal(a.ok, true);
    assert.ok(!b.ok && b.reason === 'txn-already-known' && b.class === 'duplicate');
  });

  it('skips signature verification for a tx whose signature the cache already holds', async () => {
    const { pool, verifier, sigCache } = setup();
    const t = tx(0, 0n);
    sigCache.add(txIdHex(t));
    await accept(pool, t);
    assert.equal(verifier.calls, 0);
    await accept(pool, tx(0, 1n));
    assert.equal(verifier.calls, 1);
  });
});

describe('Mempool replacement', () => {
  it('replaces the same sender and nonce only when the fee rises by at least the minimum relay fee (BIP-125 rule 4)', async () => {
    const { pool, removed } = setup();
    const first = await accept(pool, tx(0, 0n, 2000n));
    await rejected(pool, tx(0, 0n, 2000n, 2n * COIN), 'txn-replacement-fee-too-low', 'policy');
    await rejected(pool, tx(0, 0n, 1500n, 2n * COIN), 'txn-replacement-fee-too-low', 'policy');
    await rejected(pool, tx(0, 0n, 2001n, 2n * COIN), 'txn-replacement-fee-too-low', 'policy'); // +1 base unit
    await rejected(pool, tx(0, 0n, 2999n, 2n * COIN), 'txn-replacement-fee-too-low', 'policy'); // minFee is 1000
    const second = await accept(pool, tx(0, 0n, 3000n, 2n * COIN));
    assert.equal(pool.has(first), false);
    assert.equal(pool.has(second), true);
    assert.equal(pool.size, 1);
    assert.equal(pool.bytes, TX_SIZE);
    assert.deepEqual(removed, [{ ids: [first], reason: 'replaced' }]);
  });

  it('refuses a replacement that would leave later pending txs unfundable', async () => {
    const { pool } = setup();
    await accept(pool, tx(0, 0n, 1000n, 100n * COIN));
    await accept(pool, tx(0, 1n, 1000n, 800n * COIN));
    await rejected(pool, tx(0, 0n, 2000n, 300n * COIN), 'insufficient-balance', 'policy');
    await accept(pool, tx(0, 0n, 2000n, 150n * COIN));
    assert.equal(pool.size, 2);
  });
});

describe('Mempool bounds and eviction', () => {
  it('evicts the lowest-fee tx by count, and refuses a newcomer that would be the cheapest', async () => {
    const { pool, removed } = setup({ maxCount: 2 });
    const cheap = await accept(pool, tx(0, 0n, 2000n));
    const rich = await accept(pool, tx(1, 0n, 3000n));
    await rejected(pool, tx(2, 0n, 1500n), 'mempool-full', 'policy');
    await rejected(pool, tx(2, 0n, 2000n), 'mempool-full', 'policy'); // a tie keeps the incumbent
    const newcomer = await accept(pool, tx(2, 0n, 2500n));
    assert.equal(pool.size, 2);
    assert.deepEqual([pool.has(cheap), pool.has(rich), pool.has(newcomer)], [false, true, true]);
    assert.deepEqual(removed, [{ ids: [cheap], reason: 'evicted' }]);
  });

  it('evicts only chain tails, so no sender is left with a gap', async () => {
    const { pool } = setup({ maxCount: 2 });
    const head = await accept(pool, tx(0, 0n, 1000n));
    const tail = await accept(pool, tx(0, 1n, 1200n));
    // The head is cheaper, but only the tail may go; 1100 does not beat it.
    await rejected(pool, tx(1, 0n, 1100n), 'mempool-full', 'policy');
    await accept(pool, tx(1, 0n, 1300n));
    assert.deepEqual([pool.has(head), pool.has(tail)], [true, false]);
    assert.equal(pool.pendingNonce(DEV[0]!.addressHash, 0n), 1n);
  });

  it("never evicts the newcomer's own predecessor", async () => {
    const { pool } = setup({ maxCount: 2 });
    await accept(pool, tx(0, 0n, 1000n));
    await accept(pool, tx(1, 0n, 5000n));
    await rejected(pool, tx(0, 1n, 2000n), 'mempool-full', 'policy');
    assert.equal(pool.size, 2);
  });

  it('evicts by bytes', async () => {
    const { pool, removed } = setup({ maxBytes: 2 * TX_SIZE + 100 });
    const a = await accept(pool, tx(0, 0n, 4000n));
    const b = await accept(pool, tx(1, 0n, 2000n));
    await rejected(pool, tx(2, 0n, 1000n), 'mempool-full', 'policy');
    const c = await accept(pool, tx(2, 0n, 3000n));
    assert.deepEqual([pool.has(a), pool.has(b), pool.has(c)], [true, false, true]);
    assert.equal(pool.bytes, 2 * TX_SIZE);
    assert.deepEqual(removed, [{ ids: [b], reason: 'evicted' }]);
  });
});

describe('Mempool queries', () => {
  it('reports the next nonce a wallet should use and a sender\'s txs in nonce order', async () => {
    const { pool } = setup();
    const t0 = tx(0, 0n);
    const t1 = tx(0, 1n);
    await accept(pool, t0);
    await accept(pool, t1);
    assert.equal(pool.pendingNonce(DEV[0]!.addressHash, 0n), 2n);
    assert.equal(pool.pendingNonce(DEV[0]!.addressHash, 1n), 2n); // t0 mined, not yet followed
    assert.equal(pool.pendingNonce(DEV[0]!.addressHash, 5n), 5n);
    assert.equal(pool.pendingNonce(DEV[1]!.addressHash, 3n), 3n);
    assert.deepEqual(pool.txsOf(DEV[0]!.addressHash), [t0, t1]);
    assert.deepEqual(pool.txsOf(DEV[1]!.addressHash), []);
  });
});

describe('Mempool.selectForBlock', () => {
  it('takes the highest fee first but keeps each sender in nonce order, and the block is valid', async () => {
    const { pool, chain } = setup();
    const a0 = tx(0, 0n, 1000n);
    const a1 = tx(0, 1n, 9000n);
    const b0 = tx(1, 0n, 5000n);
    const c0 = tx(2, 0n, 3000n);
    for (const t of [a0, a1, b0, c0]) await accept(pool, t);
    const picked = await pool.selectForBlock(100, 1_000_000);
    assert.deepEqual(picked, [b0, c0, a0, a1]);
    const block = makeBlock(params, chain.tip, picked);
    assert.ok(connectBlockState(block, new StateOverlay(new MapStateView(chain.accounts)), params).ok);
    assert.deepEqual(await pool.selectForBlock(2, 1_000_000), [b0, c0]);
    assert.deepEqual(await pool.selectForBlock(100, 2 * TX_SIZE), [b0, c0]);
    assert.deepEqual(await pool.selectForBlock(0, 1_000_000), []);
  });

  it('skips an entry the tip already mined before onTipChanged ran, keeping the block valid', async () => {
    const { pool, chain } = setup();
    // DEV 5 starts empty; DEV 0 pays it, and once that is mined DEV 5 can spend.
    await accept(pool, makeTx(params, DEV[0]!, DEV[5]!.addressHash, 10n * COIN, 0n, 1000n));
    await rejected(pool, makeTx(params, DEV[5]!, TO, 5n * COIN, 0n, 1000n), 'insufficient-balance', 'consensus');
    chain.connect(await pool.selectForBlock(100, 1_000_000));
    const spend = makeTx(params, DEV[5]!, TO, 5n * COIN, 0n, 1000n);
    await accept(pool, spend);
    const next = await accept(pool, tx(0, 1n, 2000n)); // follows the mined, not yet removed, nonce 0
    const picked = await pool.selectForBlock(100, params.maxBlockBytes - HEADER_SIZE - 40);
    assert.deepEqual(picked.map(txIdHex), [next, txIdHex(spend)]);
    const block = assembleBlock(params, {
      parentHash: chain.tip.hash,
      parentHeight: chain.tip.height,
      bits: params.genesisBits,
      timestamp: chain.tip.timestamp + 1000,
      miner: DEV[7]!.addressHash,
      txs: picked,
    });
    assert.ok(connectBlockState(block, new StateOverlay(new MapStateView(chain.accounts)), params).ok);
  });

  it('rejects (never throws) on invalid limits', async () => {
    const { pool } = setup();
    await assert.rejects(pool.selectForBlock(-1, 10), { code: 'INVALID_ARGUMENT' });
  });
});

describe('Mempool.onTipChanged', () => {
  it('removes mined txs and keeps the rest', async () => {
    const { pool, chain, removed } = setup();
    const ids = [];
    for (const t of [tx(0, 0n), tx(0, 1n), tx(1, 0n)]) ids.push(await accept(pool, t));
    const block = chain.connect([pool.get(ids[0]!)!, pool.get(ids[2]!)!]);
    await pool.onTipChanged({ connected: [block], disconnected: [] });
    assert.deepEqual([pool.has(ids[0]!), pool.has(ids[1]!), pool.has(ids[2]!)], [false, true, false]);
    assert.equal(pool.size, 1);
    assert.equal(pool.bytes, TX_SIZE);
    assert.deepEqual(removed, [{ ids: [ids[0], ids[2]], reason: 'mined' }]);
    assert.equal(pool.pendingNonce(DEV[0]!.addressHash, 1n), 2n);
  });

  it('drops pending txs a block made stale or unfundable', async () => {
    const { pool, chain, removed } = setup();
    const pending0 = await accept(pool, tx(0, 0n, 1000n, COIN));
    const pending1 = await accept(pool, tx(0, 1n, 1000n, COIN));
    const other = await accept(pool, tx(1, 0n));
    // A conflicting nonce-0 tx that also drains the balance is mined instead.
    const block = chain.connect([tx(0, 0n, 5000n, 999n * COIN)]);
    await pool.onTipChanged({ connected: [block], disconnected: [] });
    assert.deepEqual([pool.has(pending0), pool.has(pending1), pool.has(other)], [false, false, true]);
    assert.deepEqual(removed, [{ ids: [pending0, pending1], reason: 'stale' }]);
    assert.equal(pool.bytes, TX_SIZE);
  });

  it('re-admits txs of disconnected blocks on a reorg, skipping those the new branch mined', async () => {
    const { pool, chain, verifier } = setup();
    const x = tx(0, 0n);
    const y = tx(1, 0n);
    for (const t of [x, y]) await accept(pool, t);
    const fork = chain.snapshot();
    const a = chain.connect([x, y]);
    await pool.onTipChanged({ connected: [a], disconnected: [] });
    assert.equal(pool.size, 0);
    const x1 = await accept(pool, tx(0, 1n)); // builds on x, mined only in the old branch
    const callsBefore = verifier.calls;
    chain.restore(fork);
    const b = chain.connect([y]);
    await pool.onTipChanged({ connected: [b], disconnected: [a] });
    assert.equal(pool.has(txIdHex(x)), true);
    assert.equal(pool.has(txIdHex(y)), false);
    assert.equal(pool.has(x1), true);
    assert.deepEqual(pool.txsOf(DEV[0]!.addressHash).map(txIdHex), [txIdHex(x), x1]);
    assert.equal(verifier.calls, callsBefore, 'signatures of re-admitted txs come from the sig cache');
    const picked = await pool.selectForBlock(100, 1_000_000);
    assert.ok(connectBlockState(makeBlock(params, chain.tip, picked), new StateOverlay(new MapStateView(chain.accounts)), params).ok);
  });

  it('sheds the cheapest txs when re-admissions overflow the bounds', async () => {
    const { pool, chain, removed } = setup({ maxCount: 1 });
    const x = tx(0, 0n, 1000n);
    const z = tx(1, 0n, 5000n);
    const fork = chain.snapshot();
    const a = chain.connect([x, z]);
    await pool.onTipChanged({ connected: [a], disconnected: [] });
    const w = await accept(pool, tx(2, 0n, 3000n));
    chain.restore(fork);
    const b = chain.connect([]);
    await pool.onTipChanged({ connected: [b], disconnected: [a] });
    assert.deepEqual(pool.entries().map((e) => e.idHex), [txIdHex(z)]);
    assert.deepEqual(removed, [{ ids: [txIdHex(x), w], reason: 'evicted' }]);
  });

  it('does not re-admit a disconnected tx the new branch made stale', async () => {
    const { pool, chain, removed } = setup();
    const x = tx(0, 0n);
    const fork = chain.snapshot();
    const a = chain.connect([x]);
    await pool.onTipChanged({ connected: [a], disconnected: [] });
    chain.restore(fork);
    const b = chain.connect([tx(0, 0n, 7000n)]); // the same nonce, another tx
    await pool.onTipChanged({ connected: [b], disconnected: [a] });
    assert.equal(pool.size, 0);
    assert.deepEqual(removed, []);
  });
});
