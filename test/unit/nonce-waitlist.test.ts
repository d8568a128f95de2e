/**
 * The mempool's waiting area for gapped transactions: the NonceWaitlist's caps (global, per source,
 * per sender slot, expiry) each hit, and the mempool holding a relayed k+1 until k arrives (by relay or
 * in a block), promoting a whole run in order, refusing a gap from RPC, and never holding junk. Also the
 * other issue #9 admission parts: the tip-account cache (its cap, tip invalidation) and the async verifier.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool, MempoolChainView } from '../../node/chain/mempool.js';
import { NonceWaitlist, Waitable } from '../../node/chain/nonce-waitlist.js';
import { toHex } from '../../node/core/bytes.js';
import { connectBlockState } from '../../node/core/check-block.js';
import { referenceVerifier } from '../../node/core/keys.js';
import { Account, MapStateView, StateOverlay } from '../../node/core/state-view.js';
import { Tx, txIdHex } from '../../node/core/tx.js';
import { blockHash } from '../../node/core/block.js';
import { SigCache } from '../../node/verify/sig-cache.js';
import { COIN, DEV, ParentRef, makeBlock, makeTx, testParams } from '../helpers/chain-fixtures.js';

const params = testParams();
const TO = DEV[6]!.addressHash;
const tx = (from: number, nonce: bigint, amount = COIN): Tx => makeTx(params, DEV[from]!, TO, amount, nonce);

function item(id: number, sender = 's0', nonce = BigInt(id)): Waitable {
  return { idHex: `id${id}`, senderHex: sender, nonce };
}

describe('NonceWaitlist', () => {
  it('evicts the oldest when the global cap is hit', () => {
    const w = new NonceWaitlist<Waitable>({ maxCount: 3, maxPerSource: 10, clock: () => 0 });
    for (let i = 0; i < 4; i++) assert.ok(w.add(item(i, `s${i}`), 'p'));
    assert.equal(w.size, 3);
    assert.equal(w.has('id0'), false);
    assert.equal(w.evicted.full, 1);
  });

  it('evicts the source’s own oldest when one source is at its cap, sparing the others', () => {
    const w = new NonceWaitlist<Waitable>({ maxCount: 100, maxPerSource: 2, clock: () => 0 });
    w.add(item(0, 'a'), 'honest');
    w.add(item(1, 'b'), 'flood');
    w.add(item(2, 'c'), 'flood');
    w.add(item(3, 'd'), 'flood');
    assert.deepEqual(['id0', 'id1', 'id2', 'id3'].map((id) => w.has(id)), [true, false, true, true]);
    assert.equal(w.evicted.source, 1);
  });

  it('keeps one transaction per (sender, nonce), the first seen', () => {
    const w = new NonceWaitlist<Waitable>({ clock: () => 0 });
    assert.ok(w.add(item(1, 's', 5n), 'p'));
    assert.equal(w.add({ idHex: 'other', senderHex: 's', nonce: 5n }, 'q'), false);
    assert.equal(w.add(item(1, 's', 5n), 'p'), false);
    assert.equal(w.size, 1);
  });

  it('expires entries after expiryMs and returns the lowest nonce of a sender', () => {
    let now = 1_000;
    const w = new NonceWaitlist<Waitable>({ expiryMs: 100, clock: () => now });
    w.add(item(7, 's', 7n), 'p');
    now += 50;
    w.add(item(3, 's', 3n), 'p');
    assert.equal(w.lowest('s')?.entry.nonce, 3n);
    now += 60; // the first is 110 ms old, the second 60
    assert.equal(w.expire(), 1);
    assert.equal(w.has('id7'), false);
    assert.equal(w.has('id3'), true);
    now += 100;
    assert.equal(w.expire(), 1);
    assert.equal(w.size, 0);
    assert.equal([...w.senders()].length, 0);
  });
});

class MemChain implements MempoolChainView {
  accounts = new Map<string, Account>();
  tip: ParentRef = { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp };
  readonly params = params;
  constructor() {
    for (const a of params.allocations) this.accounts.set(toHex(a.address), { balance: a.balance, nonce: 0n });
  }
  async getAccounts(addresses: Uint8Array[]): Promise<Map<string, Account>> {
    const out = new Map<string, Account>();
    for (const a of addresses) {
      const acct = this.accounts.get(toHex(a));
      if (acct) out.set(toHex(a), { ...acct });
    }
    return out;
  }
  connect(txs: Tx[]) {
    const block = makeBlock(params, this.tip, txs);
    const view = new StateOverlay(new MapStateView(this.accounts));
    assert.ok(connectBlockState(block, view, params).ok);
    for (const [k, a] of view.changed()) this.accounts.set(k, a);
    this.tip = { hash: blockHash(block.header), height: block.header.height, timestamp: block.header.timestamp };
    return block;
  }
}

function setup(maxPerSource?: number) {
  const chain = new MemChain();
  const pool = new Mempool({ chain, verifier: referenceVerifier, sigCache: new SigCache(), ...(maxPerSource ? { waitlist: { maxPerSource } } : {}) });
  const relayed: string[] = [];
  pool.on('tx', (_tx, id) => relayed.push(id));
  return { chain, pool, relayed };
}

describe('Mempool waiting area', () => {
  it('holds relayed nonces 1..3 that arrive before 0 and admits all four in order once 0 arrives', async () => {
    const { pool, relayed } = setup();
    const txs = [0n, 1n, 2n, 3n].map((n) => tx(0, n));
    for (const t of [txs[3]!, txs[1]!, txs[2]!]) {
      const v = await pool.acceptTx(t, 'peerA');
      assert.ok(!v.ok && v.reason === 'tx-nonce-too-high' && v.class === 'policy');
      assert.ok(pool.isWaiting(txIdHex(t)));
    }
    assert.equal(pool.size, 0);
    const v = await pool.acceptTx(txs[0]!, 'peerB');
    assert.ok(v.ok);
    assert.equal(pool.size, 4);
    assert.equal(pool.waitlist.size, 0);
    assert.deepEqual(relayed, txs.map(txIdHex), 'each promoted tx is announced, in nonce order');
    // A second copy of a promoted tx is a duplicate, not a new admission.
    const dup = await pool.acceptTx(txs[2]!, 'peerC');
    assert.ok(!dup.ok && dup.class === 'duplicate');
  });

  it('promotes a waiting tx when a block fills the gap', async () => {
    const { chain, pool } = setup();
    const [t0, t1] = [tx(1, 0n), tx(1, 1n)];
    await pool.acceptTx(t1, 'peerA');
    assert.ok(pool.isWaiting(txIdHex(t1)));
    const block = chain.connect([t0]);
    await pool.onTipChanged({ connected: [block], disconnected: [] });
    assert.ok(pool.has(txIdHex(t1)));
    assert.equal(pool.waitlist.size, 0);
  });

  it('stops at the next gap: 1 and 3 wait, 0 admits 1, 3 keeps waiting', async () => {
    const { pool } = setup();
    await pool.acceptTx(tx(2, 1n), 'p');
    await pool.acceptTx(tx(2, 3n), 'p');
    assert.ok((await pool.acceptTx(tx(2, 0n), 'p')).ok);
    assert.equal(pool.size, 2);
    assert.ok(pool.isWaiting(txIdHex(tx(2, 3n))));
  });

  it('refuses a gap from RPC (no source) without holding it', async () => {
    const { pool } = setup();
    const v = await pool.acceptTx(tx(3, 1n));
    assert.ok(!v.ok && v.reason === 'tx-nonce-too-high');
    assert.equal(pool.waitlist.size, 0);
  });

  it('never holds a forged signature, an unfundable transfer or a nonce beyond the window', async () => {
    const { pool } = setup();
    const forged = { ...tx(4, 1n), amount: 2n * COIN };
    const f = await pool.acceptTx(forged, 'p');
    assert.ok(!f.ok && f.reason === 'bad-tx-signature');
    const rich = await pool.acceptTx(tx(4, 2n, params.allocations[0]!.balance * 10n), 'p');
    assert.ok(!rich.ok && rich.reason === 'insufficient-balance');
    const far = await pool.acceptTx(tx(4, 64n), 'p');
    assert.ok(!far.ok && far.reason === 'tx-nonce-too-high');
    assert.equal(pool.waitlist.size, 0);
  });

  it('caps what one peer can park: its own oldest is evicted at the per-source cap', async () => {
    const { pool } = setup(2);
    for (const n of [1n, 2n, 3n]) await pool.acceptTx(tx(3, n), 'flood');
    assert.equal(pool.waitlist.size, 2);
    assert.equal(pool.isWaiting(txIdHex(tx(3, 1n))), false);
    // Nonce 1 is gone, so 0 admits only itself; 2 and 3 keep waiting behind the new gap.
    assert.ok((await pool.acceptTx(tx(3, 0n), 'p')).ok);
    assert.equal(pool.size, 1);
    assert.equal(pool.waitlist.size, 2);
  });
});

describe('Mempool tip-account cache', () => {
  it('reads a sender once per tip, is cleared by a tip move, and is cleared when it reaches its cap', async () => {
    const chain = new MemChain();
    let reads = 0;
    const view: MempoolChainView = { params, getAccounts: (a) => (reads++, chain.getAccounts(a)) };
    let tip = 'tip-1';
    const pool = new Mempool({ chain: view, verifier: referenceVerifier, sigCache: new SigCache(), tipId: () => tip, accountCacheMax: 2 });
    const ok = async (t: Tx) => assert.ok((await pool.acceptTx(t)).ok);
    await ok(tx(0, 0n));
    await ok(tx(0, 1n));
    assert.equal(reads, 1, 'the second tx of a sender is served from the cache');
    await ok(tx(1, 0n));
    assert.equal(reads, 2);
    await ok(tx(2, 0n)); // the cache holds 2: full, so it is cleared first
    await ok(tx(0, 2n));
    assert.equal(reads, 4, 'after the clear, sender 0 is read again');
    tip = 'tip-2';
    await ok(tx(2, 1n));
    assert.equal(reads, 5, 'a new tip invalidates every cached account');
  });
});

describe('Mempool with an async verifier', () => {
  it('verifies before the state checks, but refuses a replayed old nonce of a cached account without verifying', async () => {
    const chain = new MemChain();
    const key = toHex(DEV[3]!.addressHash);
    chain.accounts.set(key, { ...chain.accounts.get(key)!, nonce: 5n });
    let verified = 0;
    const asyncVerifier = { verify: async (m: Uint8Array, sg: Uint8Array, pk: Uint8Array) => (verified++, referenceVerifier.verify(m, sg, pk)) };
    const pool = new Mempool({ chain, verifier: referenceVerifier, sigCache: new SigCache(), tipId: () => 't', asyncVerifier });
    assert.ok((await pool.acceptTx(tx(3, 5n))).ok);
    assert.equal(verified, 1);
    const old = await pool.acceptTx(tx(3, 2n));
    assert.ok(!old.ok && old.reason === 'tx-nonce-too-low');
    assert.equal(verified, 1, 'no signature check for a nonce the cached account has passed');
    const forged = await pool.acceptTx({ ...tx(3, 6n), amount: 3n * COIN });
    assert.ok(!forged.ok && forged.reason === 'bad-tx-signature');
    assert.equal(verified, 2);
  });
});
