/**
 * Replacement churn (issue #8, item 5), between two real nodes over ws on 127.0.0.1: a same-nonce
 * replacement paying +1 base unit is refused with `txn-replacement-fee-too-low` (BIP-125 rule 4: it must
 * add at least the minimum relay fee); an adequate one is accepted and reaches the peer exactly once; a
 * sender bumping its slot many times gets only its per-sender relay budget announced.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { txIdHex } from '../../node/core/tx.js';
import { REPLACEMENT_RELAY_BURST } from '../../node/p2p/protocol/replacement-limit.js';
import { COIN, DEV, makeTx, testParams } from '../helpers/chain-fixtures.js';
import { TestNode, startTestNode, stopAll } from '../helpers/p2p-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const params = testParams();
let a: TestNode;
let b: TestNode;

before(async () => {
  // A long refresh interval: no periodic mempool offer, so every body B gets came from an announcement.
  a = await startTestNode({ name: 'a', refreshIntervalMs: 60_000 });
  b = await startTestNode({ name: 'b', refreshIntervalMs: 60_000 });
  await b.p2p.connect(a.url);
});

after(() => stopAll());

const tx = (fee: bigint) => makeTx(params, DEV[0]!, DEV[5]!.addressHash, 1n * COIN, 0n, fee);

test('a +1 base unit replacement is refused with a reason; an adequate one is accepted and relayed once', async () => {
  const first = tx(1000n);
  assert.ok((await a.mempool.acceptTx(first)).ok);
  await waitFor(() => b.mempool.has(txIdHex(first)), 10_000, 'the first tx at b');
  const cheap = await a.mempool.acceptTx(tx(1001n));
  assert.equal(cheap.ok, false);
  assert.equal(!cheap.ok && cheap.reason, 'txn-replacement-fee-too-low');
  assert.ok(a.mempool.has(txIdHex(first)), 'the original stays');

  const received = b.p2p.stats.txBodiesReceived;
  const better = tx(2000n);
  assert.ok((await a.mempool.acceptTx(better)).ok);
  await waitFor(() => b.mempool.has(txIdHex(better)), 10_000, 'the replacement at b');
  // Give any second copy a chance to arrive, then count: exactly one body for the replacement.
  await waitFor(() => b.p2p.stats.txBodiesReceived >= received + 1, 5_000, 'the body count');
  assert.equal(b.p2p.stats.txBodiesReceived, received + 1);
  assert.equal(b.p2p.stats.duplicateTxBodies, 0);
});

test('a sender replacing its slot 30 times gets only its relay budget announced', async () => {
  const before = b.p2p.stats.txBodiesReceived;
  let last = '';
  for (let i = 0; i < 30; i++) {
    const t = tx(3000n + BigInt(i) * 1000n);
    assert.ok((await a.mempool.acceptTx(t)).ok, `replacement ${i}`);
    last = txIdHex(t);
  }
  assert.ok(a.mempool.has(last));
  // The first test used one token of the burst; the rest of the burst may go out, nothing more.
  await waitFor(() => a.p2p.replacementsNotRelayed >= 30 - REPLACEMENT_RELAY_BURST, 5_000, 'the limit to apply');
  const relayed = b.p2p.stats.txBodiesReceived - before;
  assert.ok(relayed <= REPLACEMENT_RELAY_BURST, `${relayed} of 30 replacements relayed`);
  assert.ok(a.p2p.replacementsNotRelayed >= 30 - REPLACEMENT_RELAY_BURST);
});
