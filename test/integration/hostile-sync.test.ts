/**
 * Issue #7 acceptance: hostile chain data from scripted raw peers against real in-process nodes (real
 * LevelDB in temp dirs, real ws on 127.0.0.1 port 0):
 *   - a sync-hold peer (fake bestWork, answers of known or duplicate hashes, or silence) does not stop a
 *     lagging node from reaching the honest tip once an honest peer is connected;
 *   - 100 low-work blocks forking from genesis: none stored, disk and block index unchanged after a restart;
 *   - 1,000 blocks with too little work (zero-work bits, or not connecting): senders disconnected, RPC
 *     getInfo p99 < 100 ms during the flood;
 *   - a bogus body, then an honest announcer: the block is fetched from the honest one.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Block, BlockHeader, blockHash } from '../../node/core/block.js';
import { toHex } from '../../node/core/bytes.js';
import { Tx } from '../../node/core/tx.js';
import { Message, encodeMessage } from '../../node/p2p/protocol/messages.js';
import { rpcCall } from '../../node/rpc/client.js';
import { DEV, makeBlock, makeTx, solve, testGenesisJson, testParams } from '../helpers/chain-fixtures.js';
import { processCpuMs, startNodeProcess } from '../helpers/node-process.js';
import { TestNode, mineOn, startTestNode, stopAll } from '../helpers/p2p-harness.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { waitFor } from '../helpers/wait-for.js';

const params = testParams();
const genesisRef = { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp };
const rawOpts = { chainId: params.chainId, genesisHash: params.genesisHash };
const cleanups: (() => Promise<void>)[] = [];

after(async () => {
  await RawPeer.closeAll();
  for (const c of cleanups.reverse()) await c();
  await stopAll();
});

/** A raw peer whose hello claims `bestWork` (unproven talk), handshaken with `node`. */
async function liar(node: TestNode, bestWork: bigint, script?: (peer: RawPeer, m: Message) => void): Promise<RawPeer> {
  const peer = await RawPeer.connect(node.url, rawOpts);
  if (script) peer.onMessageHook = (m) => script(peer, m);
  peer.send(peer.makeHello({ bestWork, bestHeight: 1_000_000 }));
  const hello = await peer.waitForMessage('hello');
  peer.send(peer.proofFor(hello));
  // (A liar whose scripted answer is caught at once may be gone before we look.)
  await waitFor(() => node.p2p.peers().some((p) => p.nodeId === peer.nodeIdHex) || peer.closeInfo !== undefined, 5_000, 'the liar established');
  return peer;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return total;
}

/** `n` signed transfers, reused as junk payload (admission refuses the blocks before looking at them). */
function junkTxs(n: number): Tx[] {
  return Array.from({ length: n }, (_, i) => makeTx(params, DEV[0]!, DEV[1]!.addressHash, 1000n, BigInt(i)));
}

test('a sync-hold peer (fake bestWork, known/duplicate answers, silence) does not stop a lagging node reaching the honest tip', { timeout: 60_000 }, async () => {
  const honest = await startTestNode({ name: 'honest' });
  await mineOn(honest, 31);
  const lagging = await startTestNode({ name: 'lagging', syncStallMs: 2_000 });
  // Liar 1 answers every getheaders with what we already have (genesis, again and again) and an inv of
  // 500 copies of the genesis hash, the answer that used to count as progress.
  const known = await liar(lagging, 1n << 200n, (p, m) => {
    if (m.type !== 'getheaders') return;
    p.send({ type: 'headers', headers: [params.genesis.header] });
    p.send({ type: 'inv', items: Array.from({ length: 500 }, () => ({ kind: 'block' as const, hash: params.genesisHash })) });
  });
  // Liar 2 never answers.
  const silent = await liar(lagging, 1n << 201n);
  // Liar 3 answers with duplicates: the same header twice is not a chain.
  const h1 = (await honest.chain.getBlock(honest.chain.mainHashAt(1)!))!.header;
  const dup = await liar(lagging, 1n << 202n, (p, m) => {
    if (m.type === 'getheaders') p.send({ type: 'headers', headers: [h1, h1] });
  });
  await known.waitForMessage('getheaders', 5_000);
  await silent.waitForMessage('getheaders', 5_000);
  const t0 = Date.now();
  await lagging.p2p.connect(honest.url);
  await waitFor(() => lagging.chain.tip.hashHex === honest.chain.tip.hashHex, 30_000, 'the lagging node to reach the honest tip');
  const ms = Date.now() - t0;
  assert.equal(lagging.chain.height, 31);
  // The duplicate-header liar is banned at once; the silent one is dropped when its getheaders times out.
  await waitFor(() => dup.closeInfo !== undefined, 5_000, 'the duplicate-header liar dropped');
  assert.ok(lagging.p2p.isBanned(dup.nodeIdHex), `dup closed: ${JSON.stringify(dup.closeInfo)} ${dup.disconnectReason}`);
  await waitFor(() => silent.closeInfo !== undefined, 10_000, 'the silent liar dropped');
  assert.ok(known.messages('getheaders').length <= 4, `the known-headers liar was asked ${known.messages('getheaders').length} times`);
  assert.ok(ms < 30_000, `sync took ${ms} ms`);
});

test('100 low-work blocks forking from genesis: none stored; disk and block index unchanged after a restart', { timeout: 60_000 }, async () => {
  let node = await startTestNode({ name: 'lowwork' });
  await mineOn(node, 20);
  const chainDir = join(node.datadir, 'chain');
  const txs = junkTxs(200);
  // 100 distinct siblings of block 1, each carrying 200 transactions (29 KB): 2.9 MB if they were stored.
  const blocks = Array.from({ length: 100 }, (_, i) => makeBlock(params, genesisRef, txs, { timestamp: params.genesisTimestamp + 1000 + i }));
  const storedBefore = node.chain.storedBlockCount;
  const tipBefore = node.chain.tip.hashHex;
  await node.stop();
  node = await startTestNode({ name: 'lowwork', datadir: node.datadir });
  const bytesBefore = await dirBytes(chainDir);
  let peer: RawPeer | undefined;
  let peers = 0;
  for (const b of blocks) {
    if (!peer || peer.closeInfo) {
      peer = await RawPeer.connectAndHandshake(node.url, rawOpts);
      peers++;
    }
    const before = node.p2p.stats.blockBodiesReceived;
    peer.send({ type: 'block', block: b });
    await waitFor(() => node.p2p.stats.blockBodiesReceived > before || peer!.closeInfo !== undefined, 5_000, 'the block processed');
  }
  // Unsolicited low-work blocks cost 'low-work-branch' (10): each sender is banned after 10 of them.
  assert.ok(peers >= 10, `only ${peers} peers were needed: low-work blocks must cost their sender`);
  for (const b of blocks) assert.equal(node.chain.hasHeader(blockHash(b.header)), false, 'a low-work header was kept');
  assert.equal(node.chain.headerOnlyCount, 0);
  assert.equal(node.chain.storedBlockCount, storedBefore);
  await node.stop();
  node = await startTestNode({ name: 'lowwork', datadir: node.datadir });
  assert.equal(node.chain.storedBlockCount, storedBefore, 'block index unchanged after a restart');
  assert.equal(node.chain.tip.hashHex, tipBefore);
  const grown = (await dirBytes(chainDir)) - bytesBefore;
  assert.ok(grown < 512 * 1024, `the datadir grew by ${grown} bytes`);
});

test('1,000 blocks with too little work: senders disconnected; node CPU bounded; getInfo p99 < 100 ms during the flood', { timeout: 120_000 }, async () => {
  // The node is a real process, so its CPU and its RPC latency are its own, not the attackers'.
  const proc = await startNodeProcess(testGenesisJson());
  cleanups.push(async () => void (await proc.stop()));
  const { rpc, ws, pid } = proc;

  // 20 junk transactions each (3 KB): the body is never even decoded (the header is judged first).
  const txs = junkTxs(20);
  const base = makeBlock(params, genesisRef, txs);
  // Zero-work: bits 0x2100ffff (every hash meets it) on a random parent; cheap: easy bits on a random parent.
  // Encoded up front, so the attackers' own CPU does not compete with the node during the flood.
  const frame = (b: Block) => encodeMessage({ type: 'block', block: b });
  const zeroWork = Array.from({ length: 5 * 60 }, (_, i) => frame({ ...base, header: { ...base.header, prevHash: new Uint8Array(randomBytes(32)), bits: 0x2100ffff, nonce: BigInt(i) } }));
  const unconnecting = Array.from({ length: 20 * 60 }, (_, i) => frame(solve({ ...base, header: { ...base.header, prevHash: new Uint8Array(randomBytes(32)), nonce: BigInt(i) * 1000n } })));

  // A control run first (same node, no flood): on a shared, loaded machine the scheduler alone can
  // exceed 100 ms, and that is not the node's doing.
  const control = await pollGetInfo(rpc, () => new Promise((r) => setTimeout(r, 2_000)));
  // The attackers connect first (a handshake costs a signature check, whoever sends it): 20 will send
  // blocks that connect to nothing (20 points per 10: banned at the 50th), 5 zero-work blocks (banned at
  // the first, and the rest of their blocks are never read). 1,000+ low-work blocks processed in all.
  const attackers: RawPeer[] = [];
  for (let i = 0; i < 25; i++) attackers.push(await RawPeer.connectAndHandshake(ws, rawOpts));
  const peers = attackers.length;
  let cpu0 = 0;
  const flood = await pollGetInfo(rpc, async () => {
    cpu0 = processCpuMs(pid);
    for (let j = 0; j < 60; j++) {
      attackers.forEach((a, i) => a.isOpen && a.sendBytes(i < 5 ? zeroWork[i * 60 + j]! : unconnecting[(i - 5) * 60 + j]!));
      await new Promise((r) => setTimeout(r, 15)); // ~1,000 blocks/s for about a second
    }
    await waitFor(() => attackers.every((a) => a.closeInfo !== undefined), 30_000, 'every flooding peer disconnected');
  });
  const processed = 5 + 20 * 50;
  for (const a of attackers) assert.ok(['bad-diffbits', 'unconnecting-headers'].includes(a.disconnectReason!), `disconnected for ${a.disconnectReason}`);
  const cpuPct = ((processCpuMs(pid) - cpu0) / flood.wallMs) * 100;
  const p99 = pct(flood.latencies, 0.99);
  const controlP99 = pct(control.latencies, 0.99);
  console.log(`flood: ~${processed} low-work blocks from ${peers} peers in ${flood.wallMs.toFixed(0)} ms; node CPU ${cpuPct.toFixed(0)}% of one core; ` +
    `${flood.latencies.length} getInfo calls, p50 ${pct(flood.latencies, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (control without flood: p99 ${controlP99.toFixed(1)} ms)`);
  assert.ok(flood.latencies.length >= 10, 'too few samples');
  // < 100 ms, unless the machine itself is slower than that without any flood (then: no worse than it).
  assert.ok(p99 < Math.max(100, controlP99 * 1.5 + 20), `getInfo p99 ${p99.toFixed(1)} ms during the flood (control ${controlP99.toFixed(1)} ms)`);
  assert.ok(cpuPct < 150, `node CPU ${cpuPct.toFixed(0)}% during the flood`);
  const info = await rpcCall<{ height: number; headerHeight: number }>(rpc, 'getInfo', []);
  assert.equal(info.height, 0);
  assert.equal(info.headerHeight, 0, 'no flood header was kept');
  assert.equal(await proc.stop(), 0);
});

function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/**
 * Polls getInfo at `rpc` from a worker thread (its own event loop, so work in this thread cannot delay
 * it) while `during` runs; returns the sorted latencies and the wall time of `during`.
 */
async function pollGetInfo(rpc: string, during: () => Promise<unknown>): Promise<{ latencies: number[]; wallMs: number }> {
  const poller = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     let stop = false; const lat = [];
     parentPort.on('message', () => { stop = true; });
     (async () => {
       while (!stop) {
         const t = performance.now();
         const res = await fetch(workerData, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"getInfo","params":[]}' });
         await res.json();
         lat.push(performance.now() - t);
         await new Promise((r) => setTimeout(r, 1));
       }
       parentPort.postMessage(lat);
     })();`,
    { eval: true, workerData: rpc },
  );
  const t0 = performance.now();
  try {
    await during();
  } catch (e) {
    await poller.terminate();
    throw e;
  }
  poller.postMessage('stop');
  const wallMs = performance.now() - t0;
  const latencies = ((await new Promise((r) => poller.once('message', r))) as number[]).sort((a, b) => a - b);
  await poller.terminate();
  return { latencies, wallMs };
}

test('a bogus body, then an honest announcer: the block is fetched from the honest announcer', { timeout: 30_000 }, async () => {
  const node = await startTestNode({ name: 'bogus' });
  const good = makeBlock(params, genesisRef, junkTxs(3));
  const hash = blockHash(good.header);
  const hex = toHex(hash);
  const bogus: Block = { ...good, txs: [] };
  const attacker = await RawPeer.connectAndHandshake(node.url, rawOpts);
  const honest = await RawPeer.connectAndHandshake(node.url, rawOpts);
  honest.onMessageHook = (m) => {
    if (m.type === 'getdata' && m.items.some((it) => toHex(it.hash) === hex)) honest.send({ type: 'block', block: good });
  };
  attacker.send({ type: 'headers', headers: [good.header as BlockHeader] });
  await attacker.waitForMessage('getdata', 5_000, (m) => m.items.some((it) => toHex(it.hash) === hex));
  // The honest peer announces the same block while the attacker's request is outstanding.
  honest.send({ type: 'inv', items: [{ kind: 'block', hash }] });
  honest.send({ type: 'getblocks', locator: [params.genesisHash], stopHash: null });
  await honest.waitForMessage('inv', 5_000);
  attacker.send({ type: 'block', block: bogus });
  await attacker.waitForClose(5_000);
  assert.ok(node.p2p.isBanned(attacker.nodeIdHex));
  await waitFor(() => node.chain.tip.hashHex === hex, 10_000, 'the real block fetched from the honest announcer');
  assert.ok(honest.messages('getdata').some((m) => m.items.some((it) => toHex(it.hash) === hex)));
});

test('answers that another peer beat to it never push an honest peer out: its new blocks are still followed', { timeout: 60_000 }, async () => {
  const l = await startTestNode({ name: 'follow' });
  const chain: Block[] = [];
  /** An honest raw peer serving `chain`; a slow one answers getheaders only once L already has the blocks. */
  const server = async (slow: () => boolean): Promise<RawPeer> => {
    const p = await RawPeer.connect(l.url, rawOpts);
    p.onMessageHook = (m) => {
      if (m.type === 'getheaders') {
        const answer = () => {
          const known = m.locator.map(toHex);
          const from = chain.findIndex((b) => known.includes(toHex(blockHash(b.header))));
          p.send({ type: 'headers', headers: chain.slice(from + 1).map((b) => b.header) });
        };
        if (slow()) void waitFor(() => l.chain.height === chain.length, 10_000, 'L has the blocks').then(answer, answer);
        else answer();
      }
      if (m.type === 'getdata') for (const it of m.items) p.send({ type: 'block', block: chain.find((b) => toHex(blockHash(b.header)) === toHex(it.hash))! });
    };
    await p.handshake();
    return p;
  };
  let slowMode = true;
  const fast = await server(() => false);
  const slow = await server(() => slowMode);
  const next = () => {
    const t = chain[chain.length - 1];
    const parent = t ? { hash: blockHash(t.header), height: t.header.height, timestamp: t.header.timestamp } : genesisRef;
    const b = makeBlock(params, parent);
    chain.push(b);
    return blockHash(b.header);
  };
  for (let i = 0; i < 4; i++) {
    const hash = next();
    // The slow peer announces first: L asks it, then learns the block from the fast one.
    slow.send({ type: 'inv', items: [{ kind: 'block', hash }] });
    await slow.waitForMessage('getheaders', 5_000, () => slow.messages('getheaders').length >= i + 2);
    fast.send({ type: 'inv', items: [{ kind: 'block', hash }] });
    await waitFor(() => l.chain.tip.hashHex === toHex(hash), 10_000, `block ${i + 1} at L`);
  }
  await fast.close();
  await waitFor(() => l.p2p.peers().length === 1, 10_000, 'L left with the slow peer only');
  // The slow peer's own new block: L must still ask it, although none of its answers brought anything new.
  slowMode = false;
  const z = next();
  slow.send({ type: 'inv', items: [{ kind: 'block', hash: z }] });
  await waitFor(() => l.chain.tip.hashHex === toHex(z), 10_000, "the remaining peer's new block at L");
});
