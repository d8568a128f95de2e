/**
 * A 6-node in-process network started only from a seed list (the first 3 nodes): peer exchange, gossip
 * of transactions and blocks (each block body fetched exactly once per node), the peer database across
 * a restart, and the network holding together once the seeds are gone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { txIdHex } from '../../node/core/tx.js';
import { DEV, COIN, makeTx, testParams } from '../helpers/chain-fixtures.js';
import { TestNode, describeNet, hashHexOf, mineOn, startTestNode, stopAll, waitForNet, waitForPeers, waitForTip } from '../helpers/p2p-harness.js';

const params = testParams();
const seeds: TestNode[] = [];
const others: TestNode[] = [];
const all = () => [...seeds, ...others].filter((n) => !n.stopped);

before(async () => {
  // Each seed knows the seeds started before it, so the seeds form a network of their own.
  for (let i = 0; i < 3; i++) seeds.push(await startTestNode({ name: `seed${i}`, params, seeds: seeds.map((s) => s.url) }));
  const seedUrls = seeds.map((s) => s.url);
  for (let i = 0; i < 3; i++) others.push(await startTestNode({ name: `node${i}`, params, seeds: seedUrls }));
});

after(stopAll);

test('peer exchange: every non-seed node connects to another non-seed node', async () => {
  const ids = new Set(others.map((n) => n.nodeId));
  await waitForNet(
    () => others.every((n) => n.p2p.peers().some((p) => ids.has(p.nodeId) && p.nodeId !== n.nodeId)),
    20_000,
    'non-seed to non-seed connections',
    () => others.map((n) => `${n.name}: ${n.p2p.peers().map((p) => p.nodeId.slice(0, 6)).join(',')}`).join('; '),
  );
  for (const n of all()) {
    for (const p of n.p2p.peers()) {
      assert.notEqual(p.nodeId, n.nodeId, 'never connected to itself');
      assert.match(p.address, /^ws:\/\/127\.0\.0\.1:\d+$/);
      assert.match(p.remote, /^127\.0\.0\.1:\d+$/);
    }
    // One connection per node and direction (an inbound and an outbound one to the same node may coexist).
    const slots = n.p2p.peers().map((p) => `${p.nodeId}/${p.direction}`);
    assert.equal(new Set(slots).size, slots.length, `${n.name}: at most one connection per peer and direction`);
  }
});

test('a transaction submitted to one node reaches every mempool', async () => {
  const tx = makeTx(params, DEV[0]!, DEV[5]!.addressHash, 3n * COIN, 0n);
  const v = await others[1]!.mempool.acceptTx(tx);
  assert.ok(v.ok, v.ok ? '' : v.reason);
  const id = txIdHex(tx);
  await waitForNet(() => all().every((n) => n.mempool.has(id)), 20_000, 'tx in every mempool', () => all().map((n) => `${n.name}:${n.mempool.size}`).join(' '));
  for (const n of all()) assert.equal(n.p2p.stats.duplicateTxBodies, 0, `${n.name} received the tx body once`);
});

test('a block made on one node becomes every tip, each body received exactly once', async () => {
  const before = new Map(all().map((n) => [n.name, n.p2p.stats.blockBodiesReceived]));
  const maker = others[2]!;
  const [block] = await mineOn(maker, 1, await maker.mempool.selectForBlock(100, 100_000));
  const hex = hashHexOf(block!);
  await waitForTip(all(), hex, 20_000, 'new block');
  await waitForNet(() => all().every((n) => n.mempool.size === 0), 10_000, 'mined tx left every mempool', () => describeNet(all()));
  for (const n of all()) {
    assert.equal(n.p2p.stats.duplicateBlockBodies, 0, `${n.name}: no duplicate block body`);
    assert.equal(n.p2p.stats.blockBodiesReceived - before.get(n.name)!, n === maker ? 0 : 1, `${n.name}: exactly one body`);
  }
  // A few more, back to back from different nodes.
  for (const m of [seeds[0]!, others[0]!]) {
    const [b] = await mineOn(m, 1);
    await waitForTip(all(), hashHexOf(b!), 20_000, `block from ${m.name}`);
  }
  for (const n of all()) assert.equal(n.p2p.stats.duplicateBlockBodies, 0, `${n.name}: no duplicate block body`);
});

test('the peer database survives a restart: a node without seeds reconnects from it', async () => {
  const old = others[0]!;
  const known = old.p2p.knownAddresses().filter((e) => e.verified).length;
  assert.ok(known >= 2, `node knows verified addresses (${known})`);
  await old.stop();
  const restarted = await startTestNode({ name: 'node0-restarted', params, datadir: old.datadir, seeds: [] });
  others[0] = restarted;
  assert.equal(restarted.nodeId, old.nodeId, 'same identity');
  assert.ok(restarted.p2p.knownAddresses().length >= known, 'addresses loaded from the peer database');
  await waitForPeers([restarted], 2, 20_000);
  assert.equal(restarted.chain.tip.hashHex, seeds[0]!.chain.tip.hashHex, 'same tip after restart');
});

test('with every seed stopped, the other nodes stay connected and keep relaying', async () => {
  for (const s of seeds) await s.stop();
  const ids = new Set(others.map((n) => n.nodeId));
  await waitForNet(
    () => others.every((n) => n.p2p.peers().length >= 1 && n.p2p.peers().every((p) => ids.has(p.nodeId))),
    20_000,
    'non-seeds connected only to each other',
    () => describeNet(others),
  );
  const [b] = await mineOn(others[1]!, 1);
  await waitForTip(others, hashHexOf(b!), 20_000, 'block after the seeds left');
  for (const n of others) assert.equal(n.p2p.stats.duplicateBlockBodies, 0, `${n.name}: no duplicate block body`);
});

test('with every seed down, a restarted non-seed node reconnects from its peer database alone', async () => {
  const old = others[2]!;
  await old.stop();
  // Its seed list still names the (now dead) seeds: they fail, the peer database carries it.
  const restarted = await startTestNode({ name: 'node2-restarted', params, datadir: old.datadir, seeds: seeds.map((s) => s.url) });
  others[2] = restarted;
  const ids = new Set(others.map((n) => n.nodeId));
  await waitForNet(
    () => restarted.p2p.peers().some((p) => ids.has(p.nodeId)),
    20_000,
    'the restarted node to reach a non-seed peer',
    () => describeNet(others),
  );
  const [b] = await mineOn(others[0]!, 1);
  await waitForTip(others, hashHexOf(b!), 20_000, 'block after the restart');
});
