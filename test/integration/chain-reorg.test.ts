/**
 * Chain on real LevelDB: connect, reorg to the heavier branch, refuse a heavier branch with an invalid
 * block, resume after restart, and refuse a datadir made for another genesis.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Chain } from '../../node/chain/chain.js';
import { Block, blockHash } from '../../node/core/block.js';
import { toHex } from '../../node/core/bytes.js';
import { isNodeError } from '../../node/core/errors.js';
import { DEV, COIN, makeBlock, makeTx, testParams, ParentRef } from '../helpers/chain-fixtures.js';
import { checkLedgerConsistent, mainChainBlocks, replayState, stateToObject } from '../helpers/ledger-check.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { Mempool } from '../../node/chain/mempool.js';
import { SigCache } from '../../node/verify/sig-cache.js';
import { referenceVerifier } from '../../node/core/keys.js';
import { txIdHex } from '../../node/core/tx.js';

const params = testParams();
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function openChain(dir?: string): Promise<{ chain: Chain; dir: string }> {
  let path = dir;
  if (!path) {
    const tmp = await makeTmpDir('minichain-chain-');
    cleanups.push(tmp.remove);
    path = tmp.path;
  }
  const chain = await Chain.open({ dir: path, params, clock: () => params.genesisTimestamp + 3_600_000 });
  return { chain, dir: path };
}

const ref = (b: Block): ParentRef => ({ hash: blockHash(b.header), height: b.header.height, timestamp: b.header.timestamp });
const genesisRef: ParentRef = { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp };

/** A branch of `n` blocks on `parent`; `txsAt(i)` supplies the txs of the i-th block. */
function branch(parent: ParentRef, n: number, txsAt: (i: number) => ReturnType<typeof makeTx>[] = () => [], miner = DEV[6]!.addressHash, skew = 0): Block[] {
  const out: Block[] = [];
  let p = parent;
  for (let i = 0; i < n; i++) {
    const b = makeBlock(params, p, txsAt(i), { miner, timestamp: p.timestamp + 1000 + skew });
    out.push(b);
    p = ref(b);
  }
  return out;
}

test('connects blocks, moves balances and nonces, and survives a restart', async () => {
  const { chain, dir } = await openChain();
  const tx = makeTx(params, DEV[0]!, DEV[5]!.addressHash, 10n * COIN, 0n, 5000n);
  const blocks = branch(genesisRef, 3, (i) => (i === 1 ? [tx] : []));
  for (const b of blocks) {
    const r = await chain.acceptBlock(b);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.status, 'connected');
  }
  assert.equal(chain.height, 3);
  const a5 = await chain.getAccount(DEV[5]!.addressHash);
  assert.equal(a5.balance, 10n * COIN);
  const a0 = await chain.getAccount(DEV[0]!.addressHash);
  assert.equal(a0.nonce, 1n);
  assert.equal(a0.balance, 1000n * COIN - 10n * COIN - 5000n);
  const miner = await chain.getAccount(DEV[6]!.addressHash);
  assert.equal(miner.balance, 3n * 50n * COIN + 5000n);
  await checkLedgerConsistent(chain);
  const dup = await chain.acceptBlock(blocks[0]!);
  assert.equal(dup.ok, false);
  assert.equal(!dup.ok && dup.reason, 'duplicate');
  const tipBefore = chain.tip.hashHex;
  await chain.close();
  const { chain: again } = await openChain(dir);
  assert.equal(again.tip.hashHex, tipBefore);
  assert.equal(again.height, 3);
  await checkLedgerConsistent(again);
  const hist = await again.getHistory(DEV[5]!.addressHash, 10);
  assert.equal(hist.length, 1);
  await again.close();
});

test('reorgs to the heavier branch; state equals a replay of the winning branch; losing-branch txs return to the mempool', async () => {
  const { chain } = await openChain();
  const sigCache = new SigCache();
  const mempool = new Mempool({ chain, verifier: referenceVerifier, sigCache });
  const mempoolDone: Promise<void>[] = [];
  chain.on('tip', (c) => mempoolDone.push(mempool.onTipChanged(c)));
  const txA = makeTx(params, DEV[0]!, DEV[5]!.addressHash, 7n * COIN, 0n);
  const txB = makeTx(params, DEV[1]!, DEV[4]!.addressHash, 3n * COIN, 0n);
  const a = branch(genesisRef, 3, (i) => (i === 0 ? [txA] : []), DEV[6]!.addressHash);
  const b = branch(genesisRef, 4, (i) => (i === 2 ? [txB] : []), DEV[7]!.addressHash, 1);
  const changes: { connected: number; disconnected: number }[] = [];
  chain.on('tip', (c) => changes.push({ connected: c.connected.length, disconnected: c.disconnected.length }));
  for (const blk of a) assert.ok((await chain.acceptBlock(blk)).ok);
  for (const blk of b.slice(0, 3)) {
    const r = await chain.acceptBlock(blk);
    assert.ok(r.ok && r.value.status === 'side-branch', 'equal or less work stays a side branch (first seen wins)');
  }
  assert.equal(chain.tip.hashHex, toHex(blockHash(a[2]!.header)));
  const r = await chain.acceptBlock(b[3]!);
  assert.ok(r.ok && r.value.status === 'reorg', JSON.stringify(r));
  assert.equal(chain.tip.hashHex, toHex(blockHash(b[3]!.header)));
  assert.deepEqual(changes.at(-1), { connected: 4, disconnected: 3 });
  await Promise.all(mempoolDone);
  assert.ok(mempool.has(txIdHex(txA)), 'the tx only in the losing branch is back in the mempool');
  assert.ok(!mempool.has(txIdHex(txB)), 'the tx mined in the winning branch is not');
  assert.equal(mempool.size, 1);
  assert.deepEqual(stateToObject(await chain.allAccounts()), stateToObject(replayState(params, b)));
  assert.equal((await chain.getAccount(DEV[5]!.addressHash)).balance, 0n, 'the losing branch tx is undone');
  assert.equal(await chain.getTxLocation(blockHash(a[0]!.header)), undefined);
  await checkLedgerConsistent(chain);
  await chain.close();
});

test('a heavier branch with an invalid block leaves tip and state untouched and is marked invalid', async () => {
  const { chain } = await openChain();
  const a = branch(genesisRef, 3, (i) => (i === 0 ? [makeTx(params, DEV[0]!, DEV[5]!.addressHash, COIN, 0n)] : []));
  for (const blk of a) assert.ok((await chain.acceptBlock(blk)).ok);
  const stateBefore = stateToObject(await chain.allAccounts());
  const tipBefore = chain.tip.hashHex;
  const bad = makeTx(params, DEV[1]!, DEV[4]!.addressHash, COIN, 0n);
  bad.sig = bad.sig.slice();
  bad.sig[10]! ^= 1; // signature no longer matches
  const c = branch(ref(a[0]!), 4, (i) => (i === 1 ? [bad] : []), DEV[7]!.addressHash, 7);
  const results = [];
  for (const blk of c) results.push(await chain.acceptBlock(blk));
  assert.equal(chain.tip.hashHex, tipBefore);
  assert.deepEqual(stateToObject(await chain.allAccounts()), stateBefore);
  const rejected = results.filter((r) => !r.ok);
  assert.ok(rejected.length >= 1);
  assert.ok(rejected.some((r) => !r.ok && r.reason === 'bad-tx-signature'), JSON.stringify(results));
  assert.ok(chain.isKnownInvalid(blockHash(c[1]!.header)));
  assert.ok(chain.isKnownInvalid(blockHash(c[2]!.header)), 'stored descendants of an invalid block are invalid');
  const last = results[3]!;
  assert.equal(!last.ok && last.reason, 'bad-prevblk', 'a block on an invalid parent is refused');
  assert.ok(!chain.isKnownInvalid(blockHash(c[0]!.header)), 'the valid prefix stays valid');
  // A child of the invalid block is refused at once.
  const child = makeBlock(params, ref(c[2]!), []);
  const rc = await chain.acceptBlock(child);
  assert.equal(!rc.ok && rc.reason, 'bad-prevblk');
  await checkLedgerConsistent(chain);
  await chain.close();
});

test('a block whose parent header is unknown is refused, not stored; with headers known, bodies wait for their parent', async () => {
  const { chain } = await openChain();
  const a = branch(genesisRef, 4);
  for (const blk of [a[2]!, a[3]!, a[1]!]) {
    const r = await chain.acceptBlock(blk);
    assert.equal(!r.ok && r.reason, 'prev-blk-not-found');
  }
  assert.equal(chain.orphanCount, 0, 'nothing held for an unknown parent');
  const h = chain.acceptHeaders(a.map((b) => b.header));
  assert.ok(h.ok && h.value.added === 4 && h.value.last.height === 4);
  assert.equal(chain.headerOnlyCount, 4);
  for (const blk of [a[2]!, a[3]!, a[1]!]) {
    const r = await chain.acceptBlock(blk);
    assert.equal(r.ok && r.value.status, 'pending');
  }
  assert.equal(chain.orphanCount, 3);
  assert.ok((await chain.acceptBlock(a[0]!)).ok);
  assert.equal(chain.height, 4);
  assert.equal(chain.orphanCount, 0);
  assert.equal(chain.headerOnlyCount, 0);
  await chain.close();
});

test('refuses a datadir made for another genesis, and a second opener of the same datadir', async () => {
  const { chain, dir } = await openChain();
  await assert.rejects(Chain.open({ dir, params }), (e) => isNodeError(e, 'STORAGE_LOCKED') && /in use/.test((e as Error).message));
  await chain.close();
  const other = testParams({ chainId: 999 });
  await assert.rejects(Chain.open({ dir, params: other }), (e) => isNodeError(e, 'STORAGE_WRONG_GENESIS') && /another chain/.test((e as Error).message));
  const again = await Chain.open({ dir, params });
  assert.equal((await mainChainBlocks(again)).length, 0);
  await again.close();
});
