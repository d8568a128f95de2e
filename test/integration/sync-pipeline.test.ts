/**
 * The sync pipeline on real LevelDB (issue #9): signatures of blocks whose headers are known are checked
 * while earlier blocks are still being connected (bounded by MAX_EARLY_CHECKS), an invalid signature
 * found early still refuses the block exactly as at connect time, and a block extending the tip is
 * stored and connected in one write, with everything back after a restart.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Chain, MAX_EARLY_CHECKS } from '../../node/chain/chain.js';
import { Block, blockHash } from '../../node/core/block.js';
import { verifyReference } from '../../node/core/keys.js';
import { BatchSignatureVerifier, SignatureJob } from '../../node/chain/sig-check.js';
import { DEV, COIN, makeBlock, makeTx, testParams, ParentRef } from '../helpers/chain-fixtures.js';
import { checkLedgerConsistent } from '../helpers/ledger-check.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const params = testParams();
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function tmpDir(): Promise<string> {
  const tmp = await makeTmpDir('minichain-pipeline-');
  cleanups.push(tmp.remove);
  return tmp.path;
}

const genesisRef: ParentRef = { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp };
const clock = () => params.genesisTimestamp + 3_600_000;

/** n blocks on genesis, block i carrying one transfer from DEV[0] with nonce i. */
function chainWithTxs(n: number, tamper?: number): Block[] {
  const out: Block[] = [];
  let parent = genesisRef;
  for (let i = 0; i < n; i++) {
    const tx = makeTx(params, DEV[0]!, DEV[5]!.addressHash, COIN, BigInt(i));
    if (i === tamper) {
      tx.sig = tx.sig.slice();
      tx.sig[10]! ^= 1;
    }
    const b = makeBlock(params, parent, [tx]);
    out.push(b);
    parent = { hash: blockHash(b.header), height: b.header.height, timestamp: b.header.timestamp };
  }
  return out;
}

/** A verifier that holds every call until release(): shows which checks were started, and when. */
function gatedVerifier() {
  const calls: SignatureJob[][] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const verifier: BatchSignatureVerifier = {
    async verifyAll(jobs) {
      calls.push(jobs);
      await gate;
      return jobs.map((j) => verifyReference(j.msg, j.sig, j.publicKey));
    },
  };
  return { verifier, calls, release: () => open() };
}

test('signatures of the next blocks are checked while the first is connected; early checks are capped', async () => {
  const n = MAX_EARLY_CHECKS + 8;
  const blocks = chainWithTxs(n);
  const g = gatedVerifier();
  const chain = await Chain.open({ dir: await tmpDir(), params, verifier: g.verifier, clock });
  cleanups.push(() => chain.close());
  // Headers first, as sync does: the bodies then arrive for known headers.
  assert.ok(chain.acceptHeaders(blocks.map((b) => b.header)).ok);
  const results = blocks.map((b) => chain.acceptBlock(b));
  // Every block's check was started at hand-over, before the first block could connect (all are gated);
  // blocks handed over together share one verifier call.
  await new Promise((r) => setImmediate(r));
  assert.equal(chain.height, 0);
  assert.equal(chain.earlyCheckCount, MAX_EARLY_CHECKS, 'the oldest early checks are dropped beyond the cap');
  assert.ok(g.calls.some((c) => c.length === MAX_EARLY_CHECKS), `one merged call of ${MAX_EARLY_CHECKS} blocks' signatures: ${g.calls.map((c) => c.length)}`);
  g.release();
  for (const r of await Promise.all(results)) assert.ok(r.ok && r.value.status === 'connected', JSON.stringify(r));
  assert.equal(chain.height, n);
  assert.equal(chain.earlyCheckCount, 0);
  // The 8 blocks whose early checks were dropped were checked again at connect (nothing skipped), one
  // call each; the others were not checked twice.
  assert.equal(g.calls.length, 1 + (n - MAX_EARLY_CHECKS));
  assert.equal(g.calls.reduce((a, c) => a + c.length, 0), n);
  await checkLedgerConsistent(chain);
});

test('a bad signature found ahead of time refuses the block at its turn, as at connect time', async () => {
  const blocks = chainWithTxs(4, 2);
  const g = gatedVerifier();
  const chain = await Chain.open({ dir: await tmpDir(), params, verifier: g.verifier, clock });
  cleanups.push(() => chain.close());
  assert.ok(chain.acceptHeaders(blocks.map((b) => b.header)).ok);
  const results = blocks.map((b) => chain.acceptBlock(b));
  g.release();
  const r = await Promise.all(results);
  assert.ok(r[0]!.ok && r[1]!.ok);
  assert.ok(!r[2]!.ok && r[2]!.reason === 'bad-tx-signature', JSON.stringify(r[2]));
  assert.equal(chain.height, 2);
  assert.ok(chain.isKnownInvalid(blockHash(blocks[2]!.header)));
  assert.ok(chain.isKnownInvalid(blockHash(blocks[3]!.header)), 'its descendant is invalid too');
  await checkLedgerConsistent(chain);
});

test('a block extending the tip is stored and connected in one write; side branches are still stored; all survive a restart', async () => {
  const dir = await tmpDir();
  let chain = await Chain.open({ dir, params, clock });
  // Count the database's batches (the store is private: this test looks inside on purpose).
  const db = (chain as unknown as { store: { db: { batch: (...a: unknown[]) => Promise<void> } } }).store.db;
  let batches = 0;
  const batch = db.batch.bind(db);
  db.batch = (...a: unknown[]) => (batches++, batch(...a));
  const blocks = chainWithTxs(5);
  for (const b of blocks) assert.ok((await chain.acceptBlock(b)).ok);
  assert.equal(batches, blocks.length, 'one batch per block');
  // A sibling of the tip (equal work, not connected) is stored on its own.
  const side = makeBlock(params, { hash: blockHash(blocks[3]!.header), height: 4, timestamp: blocks[3]!.header.timestamp }, [], { miner: DEV[3]!.addressHash });
  const r = await chain.acceptBlock(side);
  assert.ok(r.ok && r.value.status === 'side-branch', JSON.stringify(r));
  await chain.close();
  chain = await Chain.open({ dir, params, clock });
  cleanups.push(() => chain.close());
  assert.equal(chain.height, 5);
  for (const b of [...blocks, side]) assert.ok(chain.hasBlock(blockHash(b.header)));
  assert.ok(await chain.getBlock(blockHash(side.header)));
  await checkLedgerConsistent(chain);
  // The stored side block still wins when its branch gets heavier.
  const next = makeBlock(params, { hash: blockHash(side.header), height: 5, timestamp: side.header.timestamp }, [], { miner: DEV[3]!.addressHash });
  const r2 = await chain.acceptBlock(next);
  assert.ok(r2.ok && r2.value.status === 'reorg', JSON.stringify(r2));
  await waitFor(() => chain.height === 6, 1_000, 'reorg');
  await checkLedgerConsistent(chain);
});

test('the tip account cache stays within its cap, and state stays right across a reorg', async () => {
  const chain = await Chain.open({ dir: await tmpDir(), params, clock, maxCachedAccounts: 3 });
  cleanups.push(() => chain.close());
  // Each block touches 3 accounts (sender, recipient, miner); recipients rotate, so the cache overflows.
  const blocks: Block[] = [];
  let parent = genesisRef;
  const sizes: number[] = [];
  for (let i = 0; i < 6; i++) {
    const b = makeBlock(params, parent, [makeTx(params, DEV[0]!, DEV[2 + (i % 4)]!.addressHash, COIN, BigInt(i))]);
    assert.ok((await chain.acceptBlock(b)).ok);
    sizes.push(chain.cachedAccountCount);
    blocks.push(b);
    parent = { hash: blockHash(b.header), height: b.header.height, timestamp: b.header.timestamp };
  }
  assert.ok(sizes.every((n) => n <= 3), sizes.join(','));
  assert.ok(sizes.includes(3), 'the cap was reached');
  await checkLedgerConsistent(chain);
  // A heavier branch from block 3 (other miner, other transfers): disconnect and connect with the cache in use.
  let fork: ParentRef = { hash: blockHash(blocks[2]!.header), height: 3, timestamp: blocks[2]!.header.timestamp };
  for (let i = 0; i < 4; i++) {
    const b = makeBlock(params, fork, [makeTx(params, DEV[0]!, DEV[6]!.addressHash, 2n * COIN, BigInt(3 + i))], { miner: DEV[3]!.addressHash });
    assert.ok((await chain.acceptBlock(b)).ok);
    fork = { hash: blockHash(b.header), height: b.header.height, timestamp: b.header.timestamp };
  }
  assert.equal(chain.height, 7);
  assert.equal(chain.tip.hashHex, Buffer.from(fork.hash).toString('hex'));
  assert.ok(chain.cachedAccountCount <= 3);
  await checkLedgerConsistent(chain);
});

test('a connect whose write fails leaves nothing half-done: the tip, the accounts and the account cache stay right', async () => {
  const dir = await tmpDir();
  const chain = await Chain.open({ dir, params, clock });
  cleanups.push(() => chain.close());
  const blocks = chainWithTxs(4);
  for (const b of blocks.slice(0, 2)) assert.ok((await chain.acceptBlock(b)).ok);
  assert.ok(chain.cachedAccountCount > 0, 'the cache holds the tip accounts');
  // The next connect's batch fails at write time (a full disk, say): the store is private, looked into on purpose.
  const db = (chain as unknown as { store: { db: { batch: (...a: unknown[]) => unknown } } }).store.db;
  const batch = db.batch.bind(db);
  let failed = 0;
  db.batch = (...a: unknown[]) => {
    const b = batch(...a) as { write?: () => Promise<void>; close: () => Promise<void> };
    if (a.length === 0 && failed === 0 && b.write) {
      failed++;
      b.write = async () => {
        await b.close();
        throw new Error('simulated write failure');
      };
    }
    return b;
  };
  await assert.rejects(chain.acceptBlock(blocks[2]!), /simulated write failure/);
  assert.equal(failed, 1);
  assert.equal(chain.height, 2, 'the tip did not move');
  assert.equal(chain.cachedAccountCount, 0, 'the account cache was emptied, not left ahead of the disk');
  await checkLedgerConsistent(chain);
  // The failed block's body was stored on its own: its child connects both.
  assert.ok((await chain.acceptBlock(blocks[3]!)).ok);
  assert.equal(chain.height, 4);
  await checkLedgerConsistent(chain);
});
