/**
 * Compact block relay (issue #9, BIP-152 high-bandwidth mode) over real ws on 127.0.0.1 with real
 * LevelDB: two nodes rebuild each other's blocks from their mempools (zero round trips; one getblocktxn
 * round trip for what is missing); scripted raw peers check that a bad reconstruction falls back to a
 * full getdata, that hostile compact messages and bad indexes are penalised, and that only peers that
 * opted in with sendcmpct are ever pushed a cmpctblock.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Block, blockHash } from '../../node/core/block.js';
import { toHex } from '../../node/core/bytes.js';
import { Tx, txIdHex } from '../../node/core/tx.js';
import { makeCmpctBlock } from '../../node/p2p/protocol/compact.js';
import { decodeMessage } from '../../node/p2p/protocol/messages.js';
import { COIN, DEV, makeBlock, makeTx, testParams } from '../helpers/chain-fixtures.js';
import { RawPeer, TestNode, hashHexOf, mineOn, rawPeer, startTestNode, stopAll, waitForPeers, waitForTip } from '../helpers/p2p-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const params = testParams();
const to = DEV[6]!.addressHash;
let a: TestNode;
let b: TestNode;
let solo: TestNode;
/** Each test spends from its own dev account, so nonces never clash. */
let nextSender = 0;

function txsFrom(count: number): Tx[] {
  const from = DEV[nextSender++]!;
  return Array.from({ length: count }, (_, n) => makeTx(params, from, to, COIN, BigInt(n)));
}

async function admit(node: TestNode, txs: Tx[]): Promise<void> {
  for (const t of txs) assert.ok((await node.mempool.acceptTx(t)).ok);
}

function nextOn(node: TestNode, txs: Tx[]): Block {
  const tip = node.chain.tip;
  return makeBlock(params, { hash: tip.hash, height: tip.height, timestamp: tip.timestamp }, txs);
}

/** Answers the node's pings, so a raw peer outlives the harness's 400 ms liveness check. */
function keepAlive(r: RawPeer): RawPeer {
  r.ws.on('message', (data: Buffer) => {
    const m = decodeMessage(new Uint8Array(data));
    if (m.type === 'ping') r.send({ type: 'pong', nonce: m.nonce });
  });
  return r;
}

before(async () => {
  a = await startTestNode({ name: 'cmpct-a', params, fetchTimeoutMs: 3_000 });
  b = await startTestNode({ name: 'cmpct-b', params, seeds: [a.url], fetchTimeoutMs: 3_000 });
  solo = await startTestNode({ name: 'cmpct-solo', params, fetchTimeoutMs: 1_000 });
  await waitForPeers([a, b], 1);
  await waitFor(() => a.p2p.highBandwidthPeers().length >= 1 && b.p2p.highBandwidthPeers().length >= 1, 5_000, 'both nodes opted in');
});
after(stopAll);

test('a block whose txs were relayed is rebuilt from the mempool with zero round trips', async () => {
  const txs = txsFrom(20);
  await admit(a, txs);
  await waitFor(() => txs.every((t) => b.mempool.has(txIdHex(t))), 5_000, 'txs relayed to b');
  const before = { ...b.p2p.stats };
  const [blk] = await mineOn(a, 1, txs);
  await waitForTip([b], hashHexOf(blk!));
  assert.equal(b.p2p.stats.compactBlocksRebuilt - before.compactBlocksRebuilt, 1);
  assert.equal(b.p2p.stats.compactRoundTrips - before.compactRoundTrips, 0, 'no getblocktxn');
  assert.equal(b.p2p.stats.compactFallbacks - before.compactFallbacks, 0, 'no full block fetched');
});

test('missing txs are fetched with one getblocktxn round trip', async () => {
  const txs = txsFrom(6);
  // b holds the first three only; a mines all six without ever holding them in its mempool.
  await admit(b, txs.slice(0, 3));
  const before = { ...b.p2p.stats };
  const [blk] = await mineOn(a, 1, txs);
  await waitForTip([b], hashHexOf(blk!));
  assert.equal(b.p2p.stats.compactBlocksRebuilt - before.compactBlocksRebuilt, 1);
  assert.equal(b.p2p.stats.compactRoundTrips - before.compactRoundTrips, 1);
  assert.equal(b.p2p.stats.compactFallbacks - before.compactFallbacks, 0, 'no full block fetched');
});

test('only peers that opted in get cmpctblock pushes; the others get an inv; --no-compact pushes to nobody', async () => {
  const hbKey = DEV[5]!;
  const isHb = () => a.p2p.highBandwidthPeers().includes(toHex(hbKey.publicKey));
  const hb = keepAlive(await rawPeer(a.url, { params, privateKey: hbKey.privateKey }));
  const plain = keepAlive(await rawPeer(a.url, { params }));
  hb.send({ type: 'sendcmpct', highBandwidth: true });
  await waitFor(() => isHb(), 5_000, 'the raw peer opted in');
  const [blk] = await mineOn(a, 1, txsFrom(2));
  const pushed = await hb.next('cmpctblock');
  assert.equal(toHex(blockHash(pushed.header)), hashHexOf(blk!));
  assert.equal(pushed.shortIds.length, 2);
  const inv = await plain.next('inv');
  await waitFor(() => plain.received.some((m) => m.type === 'inv' && m.items.some((it) => it.kind === 'block')), 5_000, 'block inv to the plain peer');
  assert.ok(inv);
  assert.ok(!plain.received.some((m) => m.type === 'cmpctblock'), 'no cmpctblock to a peer that did not opt in');
  // Opting out again: the next block comes as an inv.
  hb.send({ type: 'sendcmpct', highBandwidth: false });
  await waitFor(() => !isHb(), 5_000, 'the raw peer opted out');
  const [blk2] = await mineOn(a, 1);
  await waitFor(() => hb.received.some((m) => m.type === 'inv' && m.items.some((it) => toHex(it.hash) === hashHexOf(blk2!))), 5_000, 'inv after opting out');
  assert.equal(hb.received.filter((m) => m.type === 'cmpctblock').length, 1);
  // A node run with --no-compact never asks and never pushes.
  const off = await startTestNode({ name: 'cmpct-off', params, compact: false });
  const r = keepAlive(await rawPeer(off.url, { params }));
  r.send({ type: 'sendcmpct', highBandwidth: true });
  const [blk3] = await mineOn(off, 1);
  await waitFor(() => r.received.some((m) => m.type === 'inv' && m.items.some((it) => toHex(it.hash) === hashHexOf(blk3!))), 5_000, 'inv from a --no-compact node');
  assert.ok(!r.received.some((m) => m.type === 'cmpctblock' || m.type === 'sendcmpct'));
  await off.stop();
});

test('a block the node made goes to its high-bandwidth peers before the node stores it; one with an unseen tx waits', async () => {
  // From DEV[6], funded by the blocks of the tests above (the five genesis accounts are the others').
  assert.ok((await a.chain.getAccount(DEV[6]!.addressHash)).balance >= 7n * COIN);
  const all = [0n, 1n, 2n, 3n, 4n, 5n].map((n) => makeTx(params, DEV[6]!, DEV[7]!.addressHash, COIN, n));
  const txs = all.slice(0, 5);
  await admit(a, txs);
  await waitFor(() => txs.every((t) => b.mempool.has(txIdHex(t))), 5_000, 'txs relayed to b');
  const blk = nextOn(a, txs);
  const hash = blockHash(blk.header);
  const before = a.p2p.stats.compactBlocksSent;
  a.p2p.pushNewBlock(blk);
  const sent = a.p2p.stats.compactBlocksSent;
  assert.ok(sent > before, 'pushed at once');
  // b rebuilds and connects a block that only a's push could have given it: a has not handed it to its
  // own chain (b may pass it back to a meanwhile, so a's own acceptance may find it a duplicate).
  await waitForTip([b], hashHexOf(blk));
  const r = await a.chain.acceptBlock(blk);
  assert.ok(r.ok || r.class === 'duplicate');
  await waitForTip([a], hashHexOf(blk));
  assert.ok(a.chain.hasBlock(hash));
  // A block holding a transaction a's mempool never validated is not pushed early.
  const blk2 = nextOn(a, all.slice(5));
  a.p2p.pushNewBlock(blk2);
  assert.equal(a.p2p.stats.compactBlocksSent, sent, 'not pushed before validation');
  assert.ok((await a.chain.acceptBlock(blk2)).ok);
  await waitForTip([b], hashHexOf(blk2));
});

test('high-bandwidth peers follow BIP-152: a peer that delivers a new tip first is asked, the least recent of 3 is told to stop', async () => {
  const node = await startTestNode({ name: 'cmpct-hb', params });
  const raws: RawPeer[] = [];
  for (let i = 0; i < 4; i++) raws.push(keepAlive(await rawPeer(node.url, { params })));
  /** The last sendcmpct each raw peer got: true, false or undefined (none). */
  const last = (r: RawPeer) => r.received.filter((m) => m.type === 'sendcmpct').at(-1)?.highBandwidth;
  const sendcmpcts = () => raws.reduce((k, r) => k + r.received.filter((m) => m.type === 'sendcmpct').length, 0);
  await waitFor(() => raws.filter((r) => last(r) === true).length === 3, 5_000, 'three sendcmpct');
  for (const r of raws) r.send({ type: 'ping', nonce: 2n });
  await Promise.all(raws.map((r) => r.next('pong')));
  assert.equal(sendcmpcts(), 3);
  const first = raws.find((r) => r.received.some((m) => m.type === 'sendcmpct'))!;
  // The order they were asked in: the first asked is the least recent.
  const asked = raws.filter((r) => last(r) === true).sort((x, y) => x.received.findIndex((m) => m.type === 'sendcmpct') - y.received.findIndex((m) => m.type === 'sendcmpct'));
  const outsider = raws.find((r) => last(r) === undefined)!;
  // The outsider delivers a new tip block first.
  const blk = nextOn(node, []);
  outsider.send({ type: 'block', block: blk });
  await waitForTip([node], hashHexOf(blk));
  await waitFor(() => last(outsider) === true, 5_000, 'the outsider asked to push');
  await waitFor(() => raws.filter((r) => last(r) === false).length === 1, 5_000, 'one told to stop');
  assert.equal(raws.filter((r) => last(r) === true).length, 3, 'still three');
  assert.ok(first);
  // Which one stopped: the one that was asked earliest and never delivered since.
  assert.equal(last(asked[0]!), false);
  // A peer already asked that delivers again only moves up: no message.
  const before = sendcmpcts();
  const blk2 = nextOn(node, []);
  asked[1]!.send({ type: 'block', block: blk2 });
  await waitForTip([node], hashHexOf(blk2));
  for (const r of raws) r.send({ type: 'ping', nonce: 3n });
  await Promise.all(raws.filter((r) => !r.isClosed()).map((r) => r.next('pong')));
  assert.equal(sendcmpcts(), before);
  await node.stop();
});

test('a blocktxn that never comes falls back to a full getdata, at no cost to the sender', async () => {
  const r = await rawPeer(solo.url, { params });
  const blk = nextOn(solo, txsFrom(3));
  r.send(makeCmpctBlock(blk, 1n));
  const ask = await r.next('getblocktxn');
  assert.deepEqual(ask.indexes, [0, 1, 2]);
  const get = await r.next('getdata', 5_000);
  assert.equal(toHex(get.items[0]!.hash), hashHexOf(blk));
  r.send({ type: 'block', block: blk });
  await waitForTip([solo], hashHexOf(blk));
  assert.equal(solo.p2p.peers().find((p) => p.userAgent === 'raw-test-peer')?.banScore, 0);
});

test('a reconstruction that does not match the merkle root falls back; the genuine body proves the announcement wrong', async () => {
  const r = await rawPeer(solo.url, { params });
  const txs = txsFrom(2);
  await admit(solo, txs);
  const blk = nextOn(solo, txs);
  // The short ids are right, the reward is not: the rebuilt block cannot match the header.
  r.send({ ...makeCmpctBlock(blk, 7n), reward: blk.reward + 1n });
  const get = await r.next('getdata');
  assert.equal(toHex(get.items[0]!.hash), hashHexOf(blk));
  assert.ok(!r.received.some((m) => m.type === 'getblocktxn'), 'no getblocktxn: the txs were all there');
  r.send({ type: 'block', block: blk });
  const bye = await r.next('disconnect');
  assert.equal(bye.reason, 'bad-cmpct-block');
  await waitForTip([solo], hashHexOf(blk));
});

test('a blocktxn with transactions other than the announced ones is penalised', async () => {
  const r = await rawPeer(solo.url, { params });
  const blk = nextOn(solo, txsFrom(2));
  r.send(makeCmpctBlock(blk, 9n));
  await r.next('getblocktxn');
  r.send({ type: 'blocktxn', blockHash: blockHash(blk.header), txs: [blk.txs[1]!, blk.txs[0]!] });
  assert.equal((await r.next('disconnect')).reason, 'bad-blocktxn');
});

test('getblocktxn with out-of-range or unordered indexes is misbehaviour', async () => {
  const hash = solo.chain.tip.hash;
  const count = (await solo.chain.getBlock(hash))!.txs.length;
  assert.ok(count >= 2);
  const good = await rawPeer(solo.url, { params });
  good.send({ type: 'getblocktxn', blockHash: hash, indexes: [0, count - 1] });
  assert.equal((await good.next('blocktxn')).txs.length, 2);
  for (const indexes of [[count], [1, 0], [0, 0]]) {
    const r = await rawPeer(solo.url, { params });
    r.send({ type: 'getblocktxn', blockHash: hash, indexes });
    assert.equal((await r.next('disconnect')).reason, 'bad-getblocktxn-indexes', `indexes ${indexes.join(',')}`);
  }
});

test('a node asks at most 3 peers for high-bandwidth pushes; a freed slot goes to another peer', async () => {
  const node = await startTestNode({ name: 'cmpct-cap', params });
  const raws: RawPeer[] = [];
  for (let i = 0; i < 5; i++) raws.push(keepAlive(await rawPeer(node.url, { params })));
  const asked = () => raws.filter((r) => !r.isClosed() && r.received.some((m) => m.type === 'sendcmpct' && m.highBandwidth));
  await waitFor(() => asked().length === 3, 5_000, 'three sendcmpct');
  // Settled: a ping round trip to each, and still only three were asked.
  for (const r of raws) r.send({ type: 'ping', nonce: 1n });
  await Promise.all(raws.map((r) => r.next('pong')));
  assert.equal(asked().length, 3);
  // One of the three leaves: one of the two others is asked in its place.
  const gone = asked()[0]!;
  gone.close();
  await waitFor(() => asked().length === 3 && !asked().includes(gone), 5_000, 'the freed slot refilled');
  await node.stop();
});

test('a compact block that rebuilds into an invalid block costs its sender what the block would', async () => {
  const r = keepAlive(await rawPeer(solo.url, { params }));
  const [good] = txsFrom(1);
  const sig = new Uint8Array(good!.sig);
  sig[10] = sig[10]! ^ 0xff;
  const bad = { ...good!, sig };
  const tipBefore = solo.chain.tip.hashHex;
  const blk = nextOn(solo, [bad]);
  r.send(makeCmpctBlock(blk, 3n));
  await r.next('getblocktxn');
  r.send({ type: 'blocktxn', blockHash: blockHash(blk.header), txs: [bad] });
  const bye = await r.next('disconnect');
  assert.match(bye.reason, /^bad-/);
  assert.equal(solo.chain.tip.hashHex, tipBefore);
});
