/**
 * Adversarial P2P tests: one in-process node under attack (the target) and one honest in-process node
 * connected to it, as node/full-node.ts assembles them (LevelDB chain, mempool, signature pool and sig
 * cache, P2PNode on 127.0.0.1 port 0). A scripted raw peer (test/helpers/raw-peer.ts) sends what an
 * honest peer never would: garbage, malformed and oversized frames, text frames, a wrong-genesis hello,
 * messages before the handshake, invalid blocks and transactions, floods, 10,000 addresses, and unproven
 * claims (more chain work than it has; another node's id without the proof).
 *
 * After each attack: the target is still up and serving its honest peer (a tx and a block still relay
 * between the two honest nodes, and a new peer can still complete a handshake), its tip and account state
 * did not change, and the offender was disconnected with an observable reason, and banned (by nodeId)
 * exactly where docs/protocol.md and protocol/misbehavior.ts say so: consensus-invalid data and protocol
 * violations after the handshake; never a policy failure, a state-dependent transaction, nor anything
 * before the handshake (the nodeId is not proven yet).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Chain } from '../../node/chain/chain.js';
import { Mempool } from '../../node/chain/mempool.js';
import { Block, BlockHeader, blockHash, computeMerkleRoot } from '../../node/core/block.js';
import { fromHex, toHex } from '../../node/core/bytes.js';
import { Tx, txId, txIdHex } from '../../node/core/tx.js';
import { Log } from '../../node/log.js';
import { ADDR_BOOK_DEFAULTS } from '../../node/p2p/peers/addr-book.js';
import { loadOrCreateNodeKey } from '../../node/p2p/peers/node-key.js';
import { P2PNode } from '../../node/p2p/p2p-node.js';
import { MAX_ADDR, MAX_INV, MAX_MESSAGE_BYTES, Message, WireAddr, encodeMessage } from '../../node/p2p/protocol/messages.js';
import { VerifyPool } from '../../node/verify/verify-pool.js';
import { DEV, makeBlock, makeTx, solve, testParams } from '../helpers/chain-fixtures.js';
import { stateToObject } from '../helpers/ledger-check.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { openChainState } from '../../node/chain-state.js';

const HOST = '127.0.0.1';
/** Every test awaits network events: a bug must fail the test, not hang the run. */
const T = { timeout: 60_000 };
const params = testParams();

// ---- in-process nodes ----------------------------------------------------------------------------

interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A Log that keeps the last MAX_LOG_LINES lines in memory, so tests can read why the node did something. */
const MAX_LOG_LINES = 50_000;
function captureLog(lines: LogLine[], bindings: Record<string, unknown> = {}): Log {
  const put = (level: LogLine['level']) => (obj: object, msg?: string) => {
    if (lines.length >= MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES + 1);
    lines.push({ level, msg: msg ?? '', fields: { ...bindings, ...(obj as Record<string, unknown>) } });
  };
  return { debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error'), child: (b) => captureLog(lines, { ...bindings, ...b }) };
}

interface TestNode {
  chain: Chain;
  mempool: Mempool;
  p2p: P2PNode;
  nodeIdHex: string;
  url: string;
  logs: LogLine[];
  bans: { nodeId: string; reason: string }[];
  stop(): Promise<void>;
}

let tmp: { path: string; remove: () => Promise<void> };
let pool: VerifyPool;
let target: TestNode;
let honest: TestNode;

/** Chain + mempool + P2P wired as FullNode.start does (no RPC, no miner). */
async function startNode(name: string, seeds: string[]): Promise<TestNode> {
  const dir = join(tmp.path, name);
  const state = await openChainState({ dir: join(dir, 'chain'), params, verifier: pool });
  const { chain, mempool } = state;
  const nodeKey = await loadOrCreateNodeKey(dir);
  const logs: LogLine[] = [];
  const p2p = new P2PNode({ chain, mempool, nodeKey, datadir: dir, host: HOST, port: 0, seeds, log: captureLog(logs, { node: name }) });
  const bans: { nodeId: string; reason: string }[] = [];
  p2p.on('peer-banned', (info: { nodeId: string; reason: string }) => bans.push(info));
  const { port } = await p2p.start();
  let stopping: Promise<void> | undefined;
  return {
    chain,
    mempool,
    p2p,
    nodeIdHex: nodeKey.nodeId,
    url: `ws://${HOST}:${port}`,
    logs,
    bans,
    stop: () =>
      (stopping ??= (async () => {
        await p2p.stop();
        await state.close();
      })()),
  };
}

before(async () => {
  tmp = await makeTmpDir('minichain-adversarial-');
  pool = VerifyPool.create();
  target = await startNode('target', []);
  honest = await startNode('honest', [target.url]);
  await waitFor(
    () => target.p2p.peers().some((p) => p.nodeId === honest.nodeIdHex) && honest.p2p.peers().some((p) => p.nodeId === target.nodeIdHex),
    10_000,
    'the honest node and the target to connect',
  );
});

after(async () => {
  await RawPeer.closeAll();
  await honest?.stop();
  await target?.stop();
  await pool?.close();
  await tmp?.remove();
});

// ---- helpers -------------------------------------------------------------------------------------

function connectRaw(): Promise<RawPeer> {
  return RawPeer.connect(target.url, { chainId: params.chainId, genesisHash: params.genesisHash });
}

function connectRawAndHandshake(): Promise<RawPeer> {
  return RawPeer.connectAndHandshake(target.url, { chainId: params.chainId, genesisHash: params.genesisHash });
}

interface Snapshot {
  tip: string;
  height: number;
  accounts: Record<string, string>;
}

async function snapshot(n: TestNode): Promise<Snapshot> {
  return { tip: n.chain.tip.hashHex, height: n.chain.height, accounts: stateToObject(await n.chain.allAccounts()) };
}

/** The target (and the honest node, to which nothing invalid may have been relayed) did not move. */
async function assertUnchanged(before: { target: Snapshot; honest: Snapshot }, what: string): Promise<void> {
  assert.deepEqual(await snapshot(target), before.target, `${what}: the target's tip or accounts changed`);
  assert.deepEqual(await snapshot(honest), before.honest, `${what}: the honest node's tip or accounts changed`);
}

async function snapshots(): Promise<{ target: Snapshot; honest: Snapshot }> {
  return { target: await snapshot(target), honest: await snapshot(honest) };
}

function isBanned(nodeIdHex: string): boolean {
  return target.p2p.isBanned(nodeIdHex);
}

/** A block on `chain`'s tip with a timestamp near now, paying DEV[7]. */
function nextBlock(chain: Chain, txs: Tx[] = []): Block {
  const ctx = chain.nextBlockContext();
  const tip = chain.tip;
  return makeBlock(params, { hash: tip.hash, height: tip.height, timestamp: tip.timestamp }, txs, {
    timestamp: Math.max(Date.now(), ctx.minTimestamp),
    bits: ctx.bits,
  });
}

/** A correctly signed transfer from DEV[i] with the next nonce its node's view expects. */
async function nextTx(n: TestNode, from = DEV[0]!, fee = 1000n): Promise<Tx> {
  const acct = await n.chain.getAccount(from.addressHash);
  const nonce = n.mempool.pendingNonce(from.addressHash, acct.nonce);
  return makeTx(params, from, DEV[6]!.addressHash, 1000n + BigInt(Math.floor(Math.random() * 1e6)), nonce, fee);
}

/** Flips one bit in the signature's s half: still in range and low-s, but no longer valid. */
function withBadSignature(tx: Tx): Tx {
  const sig = tx.sig.slice();
  sig[63] = sig[63]! ^ 0x01;
  return { ...tx, sig };
}

/**
 * The target still serves honest peers: a tx made by the honest node reaches the target's mempool, a
 * block made by the target reaches the honest node, and a new peer completes a handshake.
 */
async function assertStillServing(what: string): Promise<void> {
  const tx = await nextTx(honest, DEV[1]!);
  const v = await honest.mempool.acceptTx(tx);
  assert.ok(v.ok, `${what}: honest node refused its own tx: ${v.ok ? '' : v.reason}`);
  await waitFor(() => target.mempool.has(txIdHex(tx)), 10_000, `${what}: a tx relayed honest -> target`);
  // The target mines what its mempool holds, so the relayed transfers get confirmed as they would be.
  const block = nextBlock(target.chain, await target.mempool.selectForBlock(100, 100_000));
  const r = await target.chain.acceptBlock(block);
  assert.ok(r.ok, `${what}: the target refused its own block: ${r.ok ? '' : r.reason}`);
  const hex = toHex(blockHash(block.header));
  await waitFor(() => honest.chain.tip.hashHex === hex, 10_000, `${what}: a block relayed target -> honest`);
  const probe = await connectRawAndHandshake();
  await probe.close();
}

/**
 * The offender was disconnected, and we can say why: the disconnect message's reason, the ws close reason,
 * or (for transport-level closes that carry no reason text) the close code.
 */
async function assertDropped(peer: RawPeer, expect: { reason?: string; code?: number | number[] }, what: string) {
  const close = await peer.waitForClose(10_000);
  if (expect.code !== undefined) {
    const codes = Array.isArray(expect.code) ? expect.code : [expect.code];
    assert.ok(codes.includes(close.code), `${what}: close code ${close.code} (${close.reason}), expected ${codes.join(' or ')}`);
  }
  if (expect.reason !== undefined) {
    const seen = [peer.disconnectReason, close.reason];
    assert.ok(seen.includes(expect.reason), `${what}: reason ${JSON.stringify(seen)}, expected ${expect.reason}`);
  }
  return close;
}

async function assertBanned(peer: RawPeer, reason: string, what: string): Promise<void> {
  await waitFor(() => isBanned(peer.nodeIdHex), 5_000, `${what}: ${peer.nodeIdHex.slice(0, 16)} banned`);
  const ev = target.bans.find((b) => b.nodeId === peer.nodeIdHex);
  assert.ok(ev, `${what}: no 'peer-banned' event for the offender`);
  assert.equal(ev.reason, reason, `${what}: ban reason`);
  // A banned nodeId cannot come back: its next handshake is refused.
  const again = await RawPeer.connect(target.url, { chainId: params.chainId, genesisHash: params.genesisHash, privateKey: peer.privateKey });
  again.send(again.makeHello());
  await assertDropped(again, { reason: 'banned' }, `${what}: reconnect of a banned id`);
}

function assertNotBanned(peer: RawPeer, what: string): void {
  assert.equal(isBanned(peer.nodeIdHex), false, `${what}: the peer must not be banned`);
  assert.equal(target.bans.find((b) => b.nodeId === peer.nodeIdHex), undefined, `${what}: unexpected 'peer-banned' event`);
}

function withTrailingByte(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 1);
  out.set(frame);
  return out;
}

/**
 * Announces `hash` and waits for the target's getdata for it (the honest way to deliver a body): a tx
 * with inv, a block with its header (headers-first: a block is never fetched before its header is known).
 */
async function announceAndAwaitRequest(peer: RawPeer, kind: 'tx' | 'block', hash: Uint8Array, header?: BlockHeader): Promise<void> {
  const hex = toHex(hash);
  if (kind === 'block') peer.send({ type: 'headers', headers: [header!] });
  else peer.send({ type: 'inv', items: [{ kind, hash }] });
  await peer.waitForMessage('getdata', 5_000, (m) => m.items.some((it) => it.kind === kind && toHex(it.hash) === hex));
}

/** A queued round trip: getblocks is processed in order after everything sent before it, and always answered. */
async function barrier(peer: RawPeer): Promise<void> {
  const before = peer.messages('inv').length;
  peer.send({ type: 'getblocks', locator: [target.chain.tip.hash], stopHash: null });
  await waitFor(() => peer.messages('inv').length > before || peer.closeInfo !== undefined, 10_000, 'the getblocks answer');
}

// ---- malformed input -----------------------------------------------------------------------------

test('garbage bytes after the handshake: dropped and banned; the node keeps serving', T, async () => {
  const before = await snapshots();
  const peer = await connectRawAndHandshake();
  // 0xff is no message type, so the frame can never decode by chance, whatever the random rest is.
  const garbage = new Uint8Array(randomBytes(1000));
  garbage[0] = 0xff;
  peer.sendBytes(garbage);
  await assertDropped(peer, { reason: 'malformed-message', code: 1008 }, 'garbage');
  await assertBanned(peer, 'malformed-message', 'garbage');
  await assertUnchanged(before, 'garbage');
  await assertStillServing('after garbage');
});

test('garbage bytes before the handshake: dropped, not banned (the nodeId is unproven)', T, async () => {
  const peer = await connectRaw();
  peer.sendBytes(new Uint8Array(randomBytes(64)).fill(0xee, 0, 1));
  await assertDropped(peer, { reason: 'malformed-message', code: 1008 }, 'garbage before hello');
  assertNotBanned(peer, 'garbage before hello');
  await assertStillServing('after garbage before hello');
});

test('malformed frames after the handshake: each one drops and bans its sender', T, async () => {
  const before = await snapshots();
  const cases: [string, (p: RawPeer) => void, { reason: string; code: number; banReason: string }][] = [
    ['text frame', (p) => p.sendText('{"type":"ping"}'), { reason: 'text-frame', code: 1003, banReason: 'text-frame' }],
    ['truncated ping', (p) => p.sendBytes(Uint8Array.of(0x03, 0x01, 0x02)), { reason: 'malformed-message', code: 1008, banReason: 'malformed-message' }],
    ['getaddr with a trailing byte', (p) => p.sendBytes(Uint8Array.of(0x05, 0x00)), { reason: 'malformed-message', code: 1008, banReason: 'malformed-message' }],
    ['unknown message type', (p) => p.sendBytes(Uint8Array.of(0x7f, 1, 2, 3)), { reason: 'malformed-message', code: 1008, banReason: 'malformed-message' }],
    ['empty binary frame', (p) => p.sendBytes(new Uint8Array(0)), { reason: 'malformed-message', code: 1008, banReason: 'malformed-message' }],
    ['inv count without items', (p) => p.sendBytes(Uint8Array.of(0x07, 0xfd, 0xe8, 0x03)), { reason: 'malformed-message', code: 1008, banReason: 'malformed-message' }],
    ['block with a trailing byte', (p) => p.sendBytes(withTrailingByte(encodeMessage({ type: 'block', block: nextBlock(target.chain) }))), { reason: 'malformed-message', code: 1008, banReason: 'malformed-message' }],
    ['tx one byte short', (p) => p.sendBytes(encodeMessage({ type: 'tx', tx: makeTx(params, DEV[4]!, DEV[5]!.addressHash, 1n, 0n) }).subarray(0, 145)), { reason: 'malformed-message', code: 1008, banReason: 'malformed-message' }],
    ['second hello', (p) => p.send(p.makeHello()), { reason: 'unexpected-handshake-message', code: 1008, banReason: 'unexpected-handshake-message' }],
  ];
  for (const [name, send, expect] of cases) {
    const peer = await connectRawAndHandshake();
    send(peer);
    await assertDropped(peer, { reason: expect.reason, code: expect.code }, name);
    await assertBanned(peer, expect.banReason, name);
  }
  await assertUnchanged(before, 'malformed frames');
  await assertStillServing('after malformed frames');
});

test('oversized frame (> MAX_MESSAGE_BYTES): refused by the transport, sender banned', T, async () => {
  const before = await snapshots();
  const peer = await connectRawAndHandshake();
  const big = new Uint8Array(MAX_MESSAGE_BYTES + 1);
  big[0] = 0x0b; // would be a block, if it were allowed to arrive
  peer.sendBytes(big);
  // 1009 frame-too-large; ws sends no reason text with it, and the node may cut the socket while we are still
  // writing (1006 on our side). Either way the ban says why.
  await assertDropped(peer, { code: [1009, 1006] }, 'oversized frame');
  await assertBanned(peer, 'oversized-message', 'oversized frame');
  await assertUnchanged(before, 'oversized frame');
  await assertStillServing('after an oversized frame');
});

// ---- handshake violations ------------------------------------------------------------------------

test('hello with the wrong genesis: refused with wrong-genesis, not banned', T, async () => {
  const peer = await connectRaw();
  const wrong = new Uint8Array(params.genesisHash);
  wrong[0] = wrong[0]! ^ 0xff;
  peer.send(peer.makeHello({ genesisHash: wrong }));
  await assertDropped(peer, { reason: 'wrong-genesis', code: 1008 }, 'wrong genesis');
  assert.equal(peer.messages('helloProof').length, 0, 'no proof is sent to a peer of another chain');
  assertNotBanned(peer, 'wrong genesis');
  await assertStillServing('after a wrong-genesis hello');
});

test('a message before the handshake: dropped, not banned', T, async () => {
  const peer = await connectRaw();
  peer.send({ type: 'ping', nonce: 1n });
  await assertDropped(peer, { reason: 'handshake-not-complete', code: 1008 }, 'ping before hello');
  assert.equal(peer.messages('pong').length, 0, 'the ping was not answered');
  assertNotBanned(peer, 'ping before hello');

  // Also between our hello and our proof: the connection is not established until the proof verifies.
  const peer2 = await connectRaw();
  peer2.send(peer2.makeHello());
  await peer2.waitForMessage('hello');
  peer2.send({ type: 'getaddr' });
  await assertDropped(peer2, { reason: 'handshake-not-complete', code: 1008 }, 'getaddr before the proof');
  assertNotBanned(peer2, 'getaddr before the proof');

  // A proof that does not verify.
  const peer3 = await connectRaw();
  peer3.send(peer3.makeHello());
  await peer3.waitForMessage('hello');
  peer3.send({ type: 'helloProof', signature: new Uint8Array(64).fill(1) });
  await assertDropped(peer3, { reason: 'bad-handshake-proof', code: 1008 }, 'bad proof');
  assertNotBanned(peer3, 'bad proof');
  await assertStillServing('after handshake violations');
});

// ---- invalid blocks and transactions ---------------------------------------------------------------

/** Block variants with valid proof of work on the easy target that break one consensus rule each. */
function invalidBlocks(): [string, Block, string][] {
  const tip = target.chain.tip;
  const ctx = target.chain.nextBlockContext();
  const parent = { hash: tip.hash, height: tip.height, timestamp: tip.timestamp };
  const opts = { timestamp: Math.max(Date.now(), ctx.minTimestamp), bits: ctx.bits };
  // DEV[2] is used only here, so its account nonce at the tip is 0 for the whole file.
  const good = makeTx(params, DEV[2]!, DEV[5]!.addressHash, 5000n, 0n);

  const base = makeBlock(params, parent, [good], opts);
  const badMerkle = solve({ ...base, header: { ...base.header, merkleRoot: new Uint8Array(randomBytes(32)) } });

  const badSig = makeBlock(params, parent, [withBadSignature(good)], opts);

  const reward = base.reward + 1n;
  const root = computeMerkleRoot({ header: { height: base.header.height }, miner: base.miner, reward, txs: base.txs }).root;
  const badReward = solve({ ...base, reward, header: { ...base.header, merkleRoot: root } });

  return [
    ['bad merkle root', badMerkle, 'bad-blk-merkle'],
    ['tx with a bad signature', badSig, 'bad-tx-signature'],
    ['wrong reward', badReward, 'bad-blk-reward'],
  ];
}

test('invalid blocks with valid PoW: dropped and banned, tip and state unchanged, not relayed', T, async () => {
  for (const [name, block, reason] of invalidBlocks()) {
    const before = await snapshots();
    const hash = blockHash(block.header);
    const peer = await connectRawAndHandshake();
    await announceAndAwaitRequest(peer, 'block', hash, block.header);
    peer.send({ type: 'block', block });
    await assertDropped(peer, { reason, code: 1008 }, name);
    await assertBanned(peer, reason, name);
    await assertUnchanged(before, name);
    assert.equal(honest.chain.hasBlock(hash), false, `${name}: the invalid block reached the honest node`);
  }
  await assertStillServing('after invalid blocks');
});

test('invalid block sent unannounced: same verdict', T, async () => {
  const [name, block, reason] = invalidBlocks()[2]!;
  const before = await snapshots();
  const peer = await connectRawAndHandshake();
  peer.send({ type: 'block', block });
  await assertDropped(peer, { reason, code: 1008 }, `unannounced ${name}`);
  await assertBanned(peer, reason, `unannounced ${name}`);
  await assertUnchanged(before, `unannounced ${name}`);
  await assertStillServing('after an unannounced invalid block');
});

test('a mutated body for a valid header (CVE-2012-2459): sender banned, the honest body still accepted', T, async () => {
  const before = await snapshots();
  // A valid block with one transfer; the attacker delivers its header with the transfer stripped out.
  const tx = await nextTx(target, DEV[4]!);
  const good = nextBlock(target.chain, [tx]);
  const hash = blockHash(good.header);
  const mutated: Block = { ...good, txs: [] };
  const peer = await connectRawAndHandshake();
  await announceAndAwaitRequest(peer, 'block', hash, good.header);
  peer.send({ type: 'block', block: mutated });
  await assertDropped(peer, { reason: 'bad-blk-merkle', code: 1008 }, 'mutated body');
  await assertBanned(peer, 'bad-blk-merkle', 'mutated body');
  await assertUnchanged(before, 'mutated body');
  assert.equal(target.chain.isKnownInvalid(hash), false, 'the header itself must not be marked invalid');
  // The honest node mines the real block: the target must still fetch and connect it.
  const r = await honest.chain.acceptBlock(good);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  await waitFor(() => target.chain.tip.hashHex === toHex(hash), 10_000, 'the honest body of the mutated block to reach the target');
  await assertStillServing('after a mutated body');
});

test('tx with a bad signature: dropped and banned, not in any mempool', T, async () => {
  const before = await snapshots();
  const tx = withBadSignature(await nextTx(target, DEV[3]!));
  const peer = await connectRawAndHandshake();
  await announceAndAwaitRequest(peer, 'tx', txId(tx));
  peer.send({ type: 'tx', tx });
  await assertDropped(peer, { reason: 'bad-tx-signature', code: 1008 }, 'bad tx signature');
  await assertBanned(peer, 'bad-tx-signature', 'bad tx signature');
  assert.equal(target.mempool.has(txIdHex(tx)), false);
  assert.equal(honest.mempool.has(txIdHex(tx)), false);
  await assertUnchanged(before, 'bad tx signature');
  await assertStillServing('after a bad-signature tx');
});

/** The peer is still connected and answered: a ping round trip after everything it sent. */
async function assertStillConnected(peer: RawPeer, what: string): Promise<void> {
  await barrier(peer);
  const nonce = BigInt(Math.floor(Math.random() * 2 ** 48));
  peer.send({ type: 'ping', nonce });
  await peer.waitForMessage('pong', 5_000, (m) => m.nonce === nonce);
  assert.equal(peer.closeInfo, undefined, `${what}: the peer was disconnected`);
}

test('policy failures cost nothing: a tx with too low a fee does not get its sender banned', T, async () => {
  const tx = await nextTx(target, DEV[3]!, 1n); // minFee is 1000
  const peer = await connectRawAndHandshake();
  await announceAndAwaitRequest(peer, 'tx', txId(tx));
  peer.send({ type: 'tx', tx });
  await assertStillConnected(peer, 'low fee');
  assertNotBanned(peer, 'low fee');
  assert.equal(target.mempool.has(txIdHex(tx)), false, 'the low-fee tx was not admitted');
  assert.ok(
    target.logs.some((l) => l.fields.reason === 'tx-fee-too-low' && l.fields.tx === txIdHex(tx)),
    'the refusal is logged with its reason',
  );
  await peer.close();
  await assertStillServing('after a low-fee tx');
});

test('state-dependent failures cost nothing: a tx with a used nonce does not get its sender banned', T, async () => {
  // assertStillServing relays a DEV[1] transfer and mines it: afterwards DEV[1]'s nonce 0 is used.
  await assertStillServing('setup');
  const acct = await target.chain.getAccount(DEV[1]!.addressHash);
  assert.ok(acct.nonce > 0n, 'a DEV[1] transfer was mined');
  // Correctly signed, but its nonce was used by a mined transfer: an honest peer relays this after a race.
  const tx = makeTx(params, DEV[1]!, DEV[4]!.addressHash, 7777n, 0n);
  const peer = await connectRawAndHandshake();
  peer.send({ type: 'tx', tx });
  await assertStillConnected(peer, 'used nonce');
  assertNotBanned(peer, 'used nonce');
  assert.ok(
    target.logs.some((l) => l.fields.reason === 'tx-nonce-too-low' && l.fields.tx === txIdHex(tx)),
    'the tx was judged (tx-nonce-too-low), not ignored',
  );
  await peer.close();
});

// ---- floods --------------------------------------------------------------------------------------

/** Sends `count` messages from `make`, pausing while our socket buffer is full; stops once the node closes. */
async function flood(peer: RawPeer, count: number, make: (i: number) => Message): Promise<number> {
  let sent = 0;
  const deadline = Date.now() + 20_000;
  for (let i = 0; i < count && peer.isOpen && Date.now() < deadline; i++) {
    peer.send(make(i));
    sent++;
    if (peer.bufferedAmount > 4 * 1024 * 1024) await waitFor(() => peer.bufferedAmount < 1024 * 1024 || !peer.isOpen, 10_000, 'our send buffer to drain', 2);
  }
  return sent;
}

test('ping flood: the sender is dropped and banned for message-flood; pings within budget are answered', T, async () => {
  const before = await snapshots();
  const peer = await connectRawAndHandshake();
  const sent = await flood(peer, 5_000, (i) => ({ type: 'ping', nonce: BigInt(i) }));
  await assertDropped(peer, { reason: 'message-flood', code: 1008 }, 'ping flood');
  await assertBanned(peer, 'message-flood', 'ping flood');
  const pongs = peer.messages('pong').length;
  assert.ok(pongs > 0 && pongs < sent, `answered ${pongs} of ${sent} pings: some, not all`);
  await assertUnchanged(before, 'ping flood');
  await assertStillServing('after a ping flood');
});

test('inv flood: the sender is dropped and banned for inv-flood', T, async () => {
  const before = await snapshots();
  const peer = await connectRawAndHandshake();
  const sent = await flood(peer, 300, () => {
    const pool = new Uint8Array(randomBytes(32 * MAX_INV));
    return { type: 'inv', items: Array.from({ length: MAX_INV }, (_, i) => ({ kind: 'tx' as const, hash: pool.subarray(32 * i, 32 * i + 32) })) };
  });
  await assertDropped(peer, { reason: 'inv-flood', code: 1008 }, 'inv flood');
  await assertBanned(peer, 'inv-flood', 'inv flood');
  assert.ok(sent < 300, `the node kept reading all ${sent} inv messages`);
  await assertUnchanged(before, 'inv flood');
  await assertStillServing('after an inv flood');
});

test('10,000 addresses from one source: the address book keeps at most the per-source cap from it', T, async () => {
  const peer = await connectRawAndHandshake();
  const sizeBefore = target.p2p.knownAddresses().length;
  const total = 10_000;
  for (let m = 0; m < total / MAX_ADDR; m++) {
    const addrs: WireAddr[] = [];
    for (let j = 0; j < MAX_ADDR; j++) {
      const i = m * MAX_ADDR + j;
      // Loopback hosts (the local network accepts no others), distinct per entry; nothing listens there.
      const nodeId = new Uint8Array(33);
      nodeId.set(randomBytes(32), 1);
      nodeId[0] = 0x02;
      addrs.push({ host: `127.9.${(i >> 8) & 255}.${i & 255}`, port: 1, nodeId, lastSeen: Date.now() });
    }
    assert.ok(peer.send({ type: 'addr', addrs }), 'the node closed the connection during the addr stream');
  }
  await barrier(peer);
  const known = target.p2p.knownAddresses();
  const fromPeer = known.filter((e) => e.source === peer.nodeIdHex).length;
  const cap = ADDR_BOOK_DEFAULTS.maxPerSource;
  assert.ok(fromPeer > 0, 'some addresses were learnt');
  assert.ok(fromPeer <= cap, `${fromPeer} entries from one source, cap ${cap}`);
  assert.ok(known.length - sizeBefore <= cap, `the book grew by ${known.length - sizeBefore}`);
  // Unsolicited addresses beyond the budget are ignored, not punished (Core does the same).
  await assertStillConnected(peer, 'addr flood');
  assertNotBanned(peer, 'addr flood');
  await peer.close();
  await assertStillServing('after 10,000 addresses');
});

// ---- lies --------------------------------------------------------------------------------------

test('a peer claiming more work than it has cannot hold back block relay to honest peers', T, async () => {
  const peer = await RawPeer.connect(target.url, { chainId: params.chainId, genesisHash: params.genesisHash });
  // The hello is unproven talk: 2^200 work, a million blocks. The liar then never answers getheaders.
  peer.send(peer.makeHello({ bestWork: 1n << 200n, bestHeight: 1_000_000 }));
  const hello = await peer.waitForMessage('hello');
  peer.send(peer.proofFor(hello));
  await peer.waitForMessage('getheaders', 5_000);
  // Honest relay must not wait for the liar's getheaders to time out.
  const block = nextBlock(target.chain);
  const r = await target.chain.acceptBlock(block);
  assert.ok(r.ok);
  const hex = toHex(blockHash(block.header));
  const t0 = Date.now();
  await waitFor(() => honest.chain.tip.hashHex === hex, 20_000, 'the block to reach the honest node');
  const ms = Date.now() - t0;
  await peer.close();
  assert.ok(ms < 3_000, `a block took ${ms} ms to reach the honest node while a peer lied about its chain`);
});

test("a hello claiming another node's id (no proof) cannot lock that node out", T, async () => {
  const victim = await startNode('victim', []);
  try {
    // The victim's nodeId is public (addr gossip carries it). The impostor claims it and never proves it.
    const impostor = await RawPeer.connect(target.url, { chainId: params.chainId, genesisHash: params.genesisHash });
    impostor.send(impostor.makeHello({ nodeId: fromHex(victim.nodeIdHex) }));
    // The target's proof says it accepted the hello and now waits for ours (which never comes).
    await impostor.waitForMessage('helloProof');
    // The real owner of the id connects meanwhile and must get through: only a proof makes an id count.
    const info = await victim.p2p.connect(target.url);
    assert.equal(info.nodeId, target.nodeIdHex);
    await waitFor(() => target.p2p.peers().some((p) => p.nodeId === victim.nodeIdHex), 5_000, 'the victim established at the target');
    await impostor.close();
  } finally {
    await victim.stop();
  }
});
