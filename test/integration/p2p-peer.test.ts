/**
 * The connection lifecycle seen from outside, by a scripted raw ws peer that follows docs/protocol.md:
 * the handshake and its refusals, timeouts, duplicate and self connections, serving getblocks/getdata,
 * misbehaviour turning into a persisted ban, and a handler failure dropping only the peer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { blockHash } from '../../node/core/block.js';
import { toHex } from '../../node/core/bytes.js';
import { publicKeyOf } from '../../node/core/keys.js';
import { txIdHex } from '../../node/core/tx.js';
import { HelloMessage } from '../../node/p2p/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../node/p2p/protocol/handshake.js';
import { DEV, COIN, makeTx, testParams } from '../helpers/chain-fixtures.js';
import { TestNode, mineOn, rawPeer, startTestNode, stopAll } from '../helpers/p2p-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const params = testParams();
let node: TestNode;

before(async () => {
  node = await startTestNode({ name: 'target', params, refreshIntervalMs: 200, handshakeTimeoutMs: 1_000 });
  await mineOn(node, 3);
});

after(stopAll);

test('a raw peer speaking the documented handshake is established; ping, getblocks and getdata are answered', async () => {
  const p = await rawPeer(node.url, { params });
  assert.equal(p.theirHello!.bestHeight, 3);
  assert.equal(p.theirHello!.listenPort, node.p2p.port);
  await waitFor(() => node.p2p.peers().some((i) => i.direction === 'inbound' && i.userAgent === 'raw-test-peer'), 5_000, 'listed in peers()');

  p.send({ type: 'ping', nonce: 42n });
  assert.equal((await p.next('pong')).nonce, 42n);
  // The node pings us on its refresh timer; answering gives it a latency.
  const ping = await p.next('ping');
  p.send({ type: 'pong', nonce: ping.nonce });
  await waitFor(() => node.p2p.peers().some((i) => i.userAgent === 'raw-test-peer' && i.latencyMs !== null), 5_000, 'latency measured');

  p.send({ type: 'getblocks', locator: [params.genesisHash], stopHash: null });
  const inv = await p.next('inv');
  assert.deepEqual(inv.items.map((i) => toHex(i.hash)), [1, 2, 3].map((h) => toHex(node.chain.mainHashAt(h)!)));
  const unknown = new Uint8Array(32).fill(9);
  p.send({ type: 'getdata', items: [inv.items[0]!, { kind: 'tx', hash: unknown }] });
  const block = await p.next('block');
  assert.equal(toHex(blockHash(block.block.header)), toHex(inv.items[0]!.hash));
  assert.equal(toHex((await p.next('notfound')).items[0]!.hash), toHex(unknown));
  p.close();
});

test('wrong chain, wrong genesis and a bad proof are refused with a disconnect reason and 1008', async () => {
  const hello = (over: Partial<HelloMessage> = {}): HelloMessage => ({
    type: 'hello', protocolVersion: PROTOCOL_VERSION, chainId: params.chainId, genesisHash: params.genesisHash, nodeId: DEV[3]!.publicKey,
    challenge: new Uint8Array(32), listenPort: 0, bestHeight: 0, bestWork: 0n, bestHash: params.genesisHash, userAgent: 'x', timestamp: 0, ...over,
  });
  for (const [over, reason] of [
    [{ chainId: params.chainId + 1 }, 'wrong-chain'],
    [{ genesisHash: new Uint8Array(32).fill(1) }, 'wrong-genesis'],
    [{ protocolVersion: 0 }, 'bad-protocol-version'],
  ] as const) {
    const p = await rawPeer(node.url, { params, handshake: false });
    p.send(hello(over));
    assert.equal((await p.next('disconnect')).reason, reason);
    assert.deepEqual(await p.closed, { code: 1008, reason });
  }
  const p = await rawPeer(node.url, { params, handshake: false });
  p.send(hello());
  await p.next('helloProof');
  p.send({ type: 'helloProof', signature: new Uint8Array(64).fill(1) });
  assert.equal((await p.closed).reason, 'bad-handshake-proof');
});

test('anything but hello before the handshake closes with 1008; silence hits the handshake timeout', async () => {
  const early = await rawPeer(node.url, { params, handshake: false });
  early.send({ type: 'ping', nonce: 1n });
  assert.equal((await early.closed).code, 1008);
  const silent = await rawPeer(node.url, { params, handshake: false });
  const started = Date.now();
  assert.deepEqual(await silent.closed, { code: 1008, reason: 'handshake-timeout' });
  assert.ok(Date.now() - started >= 900, 'not before the configured 1 s');
});

test('a second connection with the same nodeId is closed, the first stays', async () => {
  const key = new Uint8Array(randomBytes(32));
  const first = await rawPeer(node.url, { params, privateKey: key });
  const second = await rawPeer(node.url, { params, privateKey: key }).catch((e: Error) => e);
  assert.ok(second instanceof Error, 'the second handshake does not complete');
  await new Promise((r) => setTimeout(r, 50)); // let a wrong close of the first show up
  assert.equal(first.isClosed(), false);
  first.close();
});

test('dialling our own address is detected and never retried', async () => {
  await assert.rejects(node.p2p.connect(node.url), /self-connection/);
  assert.ok(node.p2p.knownAddresses().every((e) => e.port !== node.p2p.port));
});

test('a peer that stops answering pings is dropped', async () => {
  const p = await rawPeer(node.url, { params });
  const reason = await new Promise<string>((resolve) =>
    node.p2p.on('peer-disconnected', function onDisc(info) {
      if (info.reason === 'ping-timeout') {
        node.p2p.off('peer-disconnected', onDisc);
        resolve(info.reason);
      }
    }),
  );
  assert.equal(reason, 'ping-timeout');
  assert.equal((await p.closed).reason, 'ping-timeout');
});

test('a relayed invalid tx gets the peer banned (persisted); a policy failure costs nothing', async () => {
  const key = new Uint8Array(randomBytes(32));
  const p = await rawPeer(node.url, { params, privateKey: key });
  const me = { nodeId: toHex(publicKeyOf(key)) };
  await waitFor(() => node.p2p.peers().some((i) => i.nodeId === me.nodeId), 5_000, 'peer listed');
  // Policy: fee below the minimum. Not the peer's fault.
  const cheap = makeTx(params, DEV[1]!, DEV[2]!.addressHash, COIN, 0n, 1n);
  p.send({ type: 'tx', tx: cheap });
  // Messages are processed in order: the answer to this getblocks means the tx was judged.
  p.send({ type: 'getblocks', locator: [], stopHash: null });
  await p.next('inv');
  assert.equal(node.mempool.has(txIdHex(cheap)), false);
  assert.equal(node.p2p.peers().find((i) => i.nodeId === me.nodeId)?.banScore, 0);
  // Consensus: a broken signature.
  const good = makeTx(params, DEV[1]!, DEV[2]!.addressHash, COIN, 0n);
  const bad = { ...good, sig: good.sig.map((b, i) => (i === 10 ? b ^ 1 : b)) };
  const banned = new Promise<{ nodeId: string; reason: string }>((resolve) => node.p2p.once('peer-banned', resolve));
  p.send({ type: 'tx', tx: bad });
  assert.deepEqual(await banned, { nodeId: me.nodeId, reason: 'bad-tx-signature' });
  assert.equal((await p.next('disconnect')).reason, 'bad-tx-signature');
  assert.equal((await p.closed).code, 1008);
  assert.equal(node.mempool.has(txIdHex(bad)), false);
  assert.ok(node.p2p.isBanned(me.nodeId));
  // Coming back with the same key is refused.
  await assert.rejects(rawPeer(node.url, { params, privateKey: key }));
  // The ban survives a restart.
  await node.stop();
  node = await startTestNode({ name: 'target-restarted', params, datadir: node.datadir, refreshIntervalMs: 200, handshakeTimeoutMs: 1_000 });
  assert.ok(node.p2p.isBanned(me.nodeId), 'ban persisted');
});

test('a malformed message after the handshake bans the peer', async () => {
  const p = await rawPeer(node.url, { params });
  const banned = new Promise<{ nodeId: string; reason: string }>((resolve) => node.p2p.once('peer-banned', resolve));
  p.sendBytes(Uint8Array.of(0x07, 0xfd, 0x01, 0x00)); // non-canonical varint
  assert.equal((await banned).reason, 'malformed-message');
  assert.equal((await p.closed).code, 1008);
});

test('a frame above 2 MiB after the handshake is cut by the transport and bans the peer', async () => {
  const p = await rawPeer(node.url, { params });
  const banned = new Promise<{ nodeId: string; reason: string }>((resolve) => node.p2p.once('peer-banned', resolve));
  p.sendBytes(new Uint8Array(2 * 1024 * 1024 + 1).fill(0x07));
  assert.equal((await banned).reason, 'oversized-message');
  assert.equal((await p.closed).code, 1009);
});

test('an unexpected error in a handler drops that peer only; the node stays up', async () => {
  const original = node.mempool.acceptTx.bind(node.mempool);
  node.mempool.acceptTx = async () => {
    throw new Error('boom');
  };
  try {
    const p = await rawPeer(node.url, { params });
    p.send({ type: 'tx', tx: makeTx(params, DEV[1]!, DEV[2]!.addressHash, COIN, 0n) });
    assert.equal((await p.closed).reason, 'internal-error');
  } finally {
    node.mempool.acceptTx = original;
  }
  const again = await rawPeer(node.url, { params });
  again.send({ type: 'ping', nonce: 5n });
  assert.equal((await again.next('pong')).nonce, 5n);
  again.close();
});
