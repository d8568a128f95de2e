/**
 * Block synchronisation between in-process nodes: catching up 200 blocks, reorganising from a lighter
 * fork to a heavier one, and two halves of a network that mined apart converging on the heaviest chain
 * with the losing side's transaction returning to the mempool and being mined again.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { txId, txIdHex } from '../../node/core/tx.js';
import { checkLedgerConsistent } from '../helpers/ledger-check.js';
import { DEV, COIN, makeTx, testParams } from '../helpers/chain-fixtures.js';
import { TestNode, describeNet, hashHexOf, mineOn, startTestNode, stopAll, waitForNet, waitForPeers, waitForTip } from '../helpers/p2p-harness.js';

const params = testParams();

after(stopAll);

test('a node 200 blocks behind syncs to the tip', async () => {
  const ahead = await startTestNode({ name: 'ahead', params });
  await mineOn(ahead, 200);
  const behind = await startTestNode({ name: 'behind', params, seeds: [ahead.url] });
  // Checked as each downloaded block connects (the handshake is not even done when this is attached).
  let sawSyncing = false;
  behind.chain.on('tip', () => (sawSyncing ||= behind.p2p.syncing()));
  await waitForNet(
    () => behind.chain.tip.hashHex === ahead.chain.tip.hashHex,
    30_000,
    'catch-up to height 200',
    () => describeNet([ahead, behind]),
  );
  assert.equal(behind.chain.height, 200);
  assert.ok(sawSyncing, 'syncing() was true during the download');
  await waitForNet(() => !behind.p2p.syncing(), 5_000, 'syncing() false once caught up', () => describeNet([behind]));
  assert.equal(behind.p2p.stats.duplicateBlockBodies, 0);
  assert.equal(behind.p2p.stats.blockBodiesReceived, 200);
  await checkLedgerConsistent(behind.chain);
  // The synced node now relays new blocks like any other.
  const [b] = await mineOn(ahead, 1);
  await waitForTip([behind], hashHexOf(b!), 20_000, 'relayed block after sync');
  await ahead.stop();
  await behind.stop();
});

test('a node on a lighter fork reorganises to the heavier one', async () => {
  const heavy = await startTestNode({ name: 'heavy', params });
  const light = await startTestNode({ name: 'light', params });
  // Different miners make the branches differ from height 1.
  await mineOn(heavy, 12, [], DEV[6]!.addressHash);
  await mineOn(light, 8, [], DEV[7]!.addressHash);
  const heavyTip = heavy.chain.tip.hashHex;
  await light.p2p.connect(heavy.url);
  await waitForTip([light], heavyTip, 20_000, 'reorg to the heavier fork');
  assert.equal(heavy.chain.tip.hashHex, heavyTip, 'the heavier node did not move');
  assert.equal(light.chain.height, 12);
  await checkLedgerConsistent(light.chain);
  await heavy.stop();
  await light.stop();
});

test('two halves that mined apart converge on the heaviest chain; the losing side’s tx is mined again', async () => {
  const a: TestNode[] = [];
  const b: TestNode[] = [];
  for (let i = 0; i < 3; i++) a.push(await startTestNode({ name: `a${i}`, params }));
  for (let i = 0; i < 3; i++) b.push(await startTestNode({ name: `b${i}`, params }));
  for (const half of [a, b]) {
    await half[1]!.p2p.connect(half[0]!.url);
    await half[2]!.p2p.connect(half[1]!.url);
  }
  await waitForPeers([...a, ...b], 1);

  // Side A: a transaction confirmed only here, and 3 blocks of work.
  const tx = makeTx(params, DEV[0]!, DEV[5]!.addressHash, 7n * COIN, 0n);
  const id = txIdHex(tx);
  assert.ok((await a[2]!.mempool.acceptTx(tx)).ok);
  await waitForNet(() => a.every((n) => n.mempool.has(id)), 10_000, 'tx across side A', () => describeNet(a));
  await mineOn(a[0]!, 3, await a[0]!.mempool.selectForBlock(100, 100_000), DEV[6]!.addressHash);
  await waitForTip(a, a[0]!.chain.tip.hashHex, 20_000, 'side A tip');
  assert.ok(await a[1]!.chain.getTxLocation(txId(tx)), 'tx confirmed on side A');
  // Side B: more work, without the transaction.
  await mineOn(b[0]!, 6, [], DEV[7]!.addressHash);
  await waitForTip(b, b[0]!.chain.tip.hashHex, 20_000, 'side B tip');
  assert.ok(b.every((n) => !n.mempool.has(id)), 'side B never saw the tx');

  // Reconnect the halves through one link: everyone follows the heavier side B.
  await a[1]!.p2p.connect(b[2]!.url);
  const winner = b[0]!.chain.tip.hashHex;
  await waitForTip([...a, ...b], winner, 30_000, 'convergence on side B');
  // The reorg put the tx back into side A's mempools, and relay brings it to side B.
  await waitForNet(() => [...a, ...b].every((n) => n.mempool.has(id)), 20_000, 'tx back in every mempool', () =>
    [...a, ...b].map((n) => `${n.name}:${n.mempool.size}`).join(' '),
  );
  for (const n of a) assert.equal(await n.chain.getTxLocation(txId(tx)), undefined, `${n.name}: tx no longer confirmed`);

  // Mined again on the winning chain, by a node of the winning side.
  const [block] = await mineOn(b[1]!, 1, await b[1]!.mempool.selectForBlock(100, 100_000));
  assert.equal(block!.txs.length, 1);
  await waitForTip([...a, ...b], b[1]!.chain.tip.hashHex, 20_000, 'block with the tx');
  for (const n of [...a, ...b]) {
    const loc = await n.chain.getTxLocation(txId(tx));
    assert.equal(loc?.height, 7, `${n.name}: tx confirmed at height 7 on the winning chain`);
    assert.equal(n.mempool.has(id), false);
    await checkLedgerConsistent(n.chain);
  }
});
