/**
 * getnonces (protocol version 2): a node holding a relayed transaction whose sender's earlier nonces it
 * never got asks the peer that gave it for them, and fetches them through the usual inv/getdata; a node
 * answers getnonces with an inv of what its mempool holds in the range, and with nothing when it holds
 * none; a version-1 peer is never sent the new message. Scripted raw peers over real ws on 127.0.0.1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../node/core/bytes.js';
import { txId, txIdHex } from '../../node/core/tx.js';
import { COIN, DEV, makeTx, testParams } from '../helpers/chain-fixtures.js';
import { TestNode, rawPeer, startTestNode, stopAll } from '../helpers/p2p-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const params = testParams();
let node: TestNode;
const to = DEV[6]!.addressHash;

before(async () => {
  node = await startTestNode({ name: 'gap', params });
});
after(stopAll);

test('a held tx makes the node ask its announcer for the missing nonces, and the gap is fetched and filled', async () => {
  const [k0, k1, k2] = [0n, 1n, 2n].map((n) => makeTx(params, DEV[0]!, to, COIN, n));
  const a = await rawPeer(node.url, { params });
  a.send({ type: 'inv', items: [{ kind: 'tx', hash: txId(k2!) }] });
  await a.next('getdata');
  a.send({ type: 'tx', tx: k2! });
  const ask = await a.next('getnonces');
  assert.equal(toHex(ask.sender), toHex(DEV[0]!.addressHash));
  assert.equal(ask.fromNonce, 0n);
  assert.equal(ask.count, 2);
  assert.ok(node.mempool.isWaiting(txIdHex(k2!)));
  // The announcer answers as a node does: an inv of what it holds; the node fetches both.
  a.send({ type: 'inv', items: [k0!, k1!].map((t) => ({ kind: 'tx' as const, hash: txId(t) })) });
  const get = await a.next('getdata');
  assert.deepEqual(get.items.map((it) => toHex(it.hash)).sort(), [txIdHex(k0!), txIdHex(k1!)].sort());
  a.send({ type: 'tx', tx: k0! });
  a.send({ type: 'tx', tx: k1! });
  await waitFor(() => [k0!, k1!, k2!].every((t) => node.mempool.has(txIdHex(t))), 5_000, 'the gap filled and k+2 promoted');
  // Asked once per gap: a second copy of the same situation does not ask again.
  assert.equal(a.received.filter((m) => m.type === 'getnonces').length, 1);
});

test('getnonces is answered with an inv of the pending txs in range, and with nothing for an empty range', async () => {
  const txs = [0n, 1n, 2n, 3n].map((n) => makeTx(params, DEV[1]!, to, COIN, n));
  for (const t of txs) assert.ok((await node.mempool.acceptTx(t)).ok);
  const b = await rawPeer(node.url, { params });
  b.send({ type: 'getnonces', sender: DEV[1]!.addressHash, fromNonce: 1n, count: 2 });
  // (The node also offers its whole mempool to a new peer; the answer is the inv of exactly the range.)
  const want = JSON.stringify([txIdHex(txs[1]!), txIdHex(txs[2]!)]);
  const invs = () => b.received.filter((m) => m.type === 'inv').map((m) => JSON.stringify(m.items.map((it) => toHex(it.hash))));
  await waitFor(() => invs().includes(want), 5_000, 'the inv answering getnonces');
  // Nothing pending from nonce 10 on: no reply at all (a ping/pong round trip proves it was processed).
  const invsBefore = b.received.filter((m) => m.type === 'inv').length;
  b.send({ type: 'getnonces', sender: DEV[1]!.addressHash, fromNonce: 10n, count: 5 });
  b.send({ type: 'ping', nonce: 77n });
  await b.next('pong');
  assert.equal(b.received.filter((m) => m.type === 'inv').length, invsBefore);
  assert.ok(node.p2p.peers().every((p) => p.banScore === 0));
});

test('a version-1 peer is never sent getnonces', async () => {
  const late = makeTx(params, DEV[2]!, to, COIN, 1n);
  const old = await rawPeer(node.url, { params, hello: { protocolVersion: 1 } });
  old.send({ type: 'inv', items: [{ kind: 'tx', hash: txId(late) }] });
  await old.next('getdata');
  old.send({ type: 'tx', tx: late });
  await waitFor(() => node.mempool.isWaiting(txIdHex(late)), 5_000, 'the gapped tx held');
  old.send({ type: 'ping', nonce: 78n });
  await old.next('pong');
  assert.equal(old.received.filter((m) => m.type === 'getnonces').length, 0);
});
