/**
 * Operator RPCs and test-only controls on real in-process full nodes (real LevelDB in temp dirs, real
 * ws and HTTP on 127.0.0.1, port 0): addPeer, disconnectPeer, setNetworkActive, setBan / listBanned /
 * clearBanned, generate, getArrivals, getLedgerSummary; setPeerFilter holding against re-dialing and
 * inbound connections; setLinkFault delaying messages in the transport; setMockTime moving the clock
 * the time rules use; and every test-only control refused by a node started without --allow-faults.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadGenesis, NodeConfig } from '../../node/config.js';
import { devAccount } from '../../node/core/dev-accounts.js';
import { FullNode } from '../../node/full-node.js';
import { silentLog } from '../../node/log.js';
import { bundledGenesisPath } from '../../node/paths.js';
import { rpcCall } from '../../node/rpc/client.js';
import { RpcError } from '../../node/rpc/errors.js';
import { MAX_DENIED_PEERS } from '../../node/p2p/peers/peer-manager.js';
import { MAX_LINK_FAULT_RULES } from '../../node/p2p/link-faults.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

let dir: { path: string; remove: () => Promise<void> };
let plain: FullNode; // started without --allow-faults
let faulty: FullNode; // --allow-faults
let third: FullNode; // --allow-faults
const rpc = <T = unknown>(n: FullNode, method: string, params: unknown[] = []) => rpcCall<T>(`http://127.0.0.1:${n.rpc.port}`, method, params, 20_000);
const p2pUrl = (n: FullNode) => `ws://127.0.0.1:${n.p2p.port}`;
/** a has an established connection to b */
const linked = (a: FullNode, b: FullNode) => a.p2p.peers().some((p) => p.nodeId === b.nodeKey.nodeId);
/** Resolves with the reason of a's next disconnect from b. */
const nextDisconnect = (a: FullNode, b: FullNode) =>
  new Promise<string>((resolve) => {
    const on = (i: { nodeId: string | null; reason: string }) => {
      if (i.nodeId !== b.nodeKey.nodeId) return;
      a.p2p.off('peer-disconnected', on);
      resolve(i.reason);
    };
    a.p2p.on('peer-disconnected', on);
  });

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  assert.fail('expected an RPC error');
}

async function startNode(name: string, allowFaults: boolean): Promise<FullNode> {
  const params = await loadGenesis(bundledGenesisPath());
  const config: NodeConfig = {
    datadir: join(dir.path, name),
    host: '127.0.0.1',
    port: 0,
    rpcHost: '127.0.0.1',
    rpcPort: 0,
    seeds: [],
    mine: false,
    mineDuty: 0.5,
    genesisPath: bundledGenesisPath(),
    logLevel: 'error',
    maxOutbound: 8,
    maxInbound: 32,
    refreshIntervalMs: 200,
    allowFaults,
  };
  return FullNode.start(config, params, silentLog);
}

before(async () => {
  dir = await makeTmpDir('minichain-operator-');
  plain = await startNode('plain', false);
  faulty = await startNode('faulty', true);
  third = await startNode('third', true);
});

after(async () => {
  await Promise.all([plain, faulty, third].map((n) => n?.stop()));
  await dir.remove();
});

test('a node started without --allow-faults refuses every test-only control and changes nothing', async () => {
  const calls: [string, unknown[]][] = [
    ['setMockTime', [Date.now() + 3 * 3600_000]],
    ['setPeerFilter', [{ deny: [faulty.nodeKey.nodeId] }]],
    ['setLinkFault', [{ delayMs: 500, jitterMs: 0, dropPerMinute: 60 }]],
  ];
  for (const [method, params] of calls) {
    const e = await rpcError(rpc(plain, method, params));
    assert.equal(e.code, -32003, method);
    assert.equal(e.data?.reason, 'faults-not-allowed', method);
    assert.match(e.message, /--allow-faults/);
  }
  assert.equal(plain.clock.offset, 0);
  assert.deepEqual(plain.p2p.peerFilter(), []);
  assert.deepEqual(plain.p2p.linkFaults(), []);
  // the same calls are accepted with --allow-faults (then undone)
  await rpc(faulty, 'setLinkFault', [{ delayMs: 1, jitterMs: 0, dropPerMinute: 0 }]);
  assert.equal(faulty.p2p.linkFaults().length, 1);
  await rpc(faulty, 'setLinkFault', [{ delayMs: 0, jitterMs: 0, dropPerMinute: 0 }]);
  assert.deepEqual(faulty.p2p.linkFaults(), []);
});

test('addPeer, disconnectPeer, setNetworkActive', async () => {
  const info = await rpc<{ nodeId: string }>(plain, 'addPeer', [p2pUrl(faulty)]);
  assert.equal(info.nodeId, faulty.nodeKey.nodeId);
  await waitFor(() => linked(faulty, plain), 5000, 'inbound peer');
  const gone = nextDisconnect(plain, faulty);
  assert.deepEqual(await rpc(plain, 'disconnectPeer', [faulty.nodeKey.nodeId]), { disconnected: 1 });
  assert.equal(await gone, 'disconnect-requested');
  // like Bitcoin Core's disconnectnode, the peer may be dialled again later (it is not banned)
  assert.equal((await rpcError(rpc(plain, 'disconnectPeer', ['02' + '00'.repeat(32)]))).data?.reason, 'peer-not-found');
  assert.equal((await rpcError(rpc(plain, 'addPeer', ['http://x']))).data?.reason, 'bad-peer-url');

  await rpc(plain, 'addPeer', [p2pUrl(faulty)]);
  assert.deepEqual(await rpc(plain, 'setNetworkActive', [false]), { networkActive: false });
  await waitFor(() => plain.p2p.peers().length === 0 && !linked(faulty, plain), 5000, 'network off');
  // no dialling out, and inbound refused, while off (refresh ticks every 200 ms would redial)
  await assert.rejects(faulty.p2p.connect(p2pUrl(plain)));
  assert.equal((await rpcError(rpc(plain, 'addPeer', [p2pUrl(faulty)]))).data?.reason, 'connect-failed');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(plain.p2p.peers().length, 0);
  assert.equal((await rpc<{ peers: number }>(plain, 'getInfo')).peers, 0);
  await rpc(plain, 'setNetworkActive', [true]);
  await rpc(plain, 'addPeer', [p2pUrl(faulty)]);
  assert.ok(linked(plain, faulty));
});

test('setBan by node id and by address, listBanned, clearBanned', async () => {
  await rpc(plain, 'addPeer', [p2pUrl(third)]);
  const r = await rpc<{ banned: string }>(plain, 'setBan', [third.nodeKey.nodeId, 60]);
  assert.equal(r.banned, third.nodeKey.nodeId);
  await waitFor(() => !linked(plain, third) && !linked(third, plain), 5000, 'banned peer dropped');
  await assert.rejects(rpc(plain, 'addPeer', [p2pUrl(third)]));
  await assert.rejects(third.p2p.connect(p2pUrl(plain)));
  const addr = `127.0.0.1:${faulty.p2p.port}`;
  await rpc(plain, 'setBan', [`ws://${addr}`]);
  await waitFor(() => !linked(plain, faulty) && !linked(faulty, plain), 5000, 'address-banned peer dropped');
  await assert.rejects(faulty.p2p.connect(p2pUrl(plain)), /banned|closed/);
  await assert.rejects(rpc(plain, 'addPeer', [p2pUrl(faulty)]), /banned|closed|failed/);
  const list = await rpc<{ key: string; until: number }[]>(plain, 'listBanned');
  assert.deepEqual(list.map((b) => b.key).sort(), [addr, third.nodeKey.nodeId].sort());
  assert.ok(list.every((b) => b.until > Date.now()));
  assert.equal((await rpcError(rpc(plain, 'setBan', ['not a key']))).data?.reason, 'bad-ban-key');
  assert.equal((await rpcError(rpc(plain, 'setBan', [addr, -1]))).data?.reason, 'bad-ban-time');
  assert.deepEqual(await rpc(plain, 'setBan', [addr, 0]), { unbanned: true });
  assert.deepEqual(await rpc(plain, 'clearBanned'), { cleared: 1 });
  assert.deepEqual(await rpc(plain, 'listBanned'), []);
  await rpc(plain, 'addPeer', [p2pUrl(third)]);
  assert.ok(linked(plain, third));
  // plain is done: stop it, so it cannot bridge the partition tested below
  await plain.stop();
});

test('generate mines n blocks now, to an address, and they propagate; arrivals and ledger summary', async () => {
  await rpc(faulty, 'addPeer', [p2pUrl(third)]);
  const before = faulty.chain.height;
  const to = devAccount(3).address;
  const hashes = await rpc<string[]>(faulty, 'generate', [3, to]);
  assert.equal(hashes.length, 3);
  assert.equal(faulty.chain.height, before + 3);
  const block = await rpc<{ miner: string; hash: string }>(faulty, 'getBlock', [hashes[2]]);
  assert.equal(block.miner, to);
  await waitFor(() => third.chain.tip.hashHex === hashes[2], 10_000, 'block propagation');
  assert.equal((await rpcError(rpc(faulty, 'generate', [0]))).data?.reason, 'bad-param');
  assert.equal((await rpcError(rpc(faulty, 'generate', [1, 'mc1nope']))).data?.reason, 'bad-address');

  const arr = await rpc<{ blocks: { hash: string; t: number }[] }>(third, 'getArrivals');
  for (const h of hashes) assert.ok(arr.blocks.some((b) => b.hash === h && b.t > 0), `arrival of ${h}`);
  const [a, b] = await Promise.all([rpc<{ supply: string; digest: string; tip: string }>(faulty, 'getLedgerSummary'), rpc<{ supply: string; digest: string; tip: string }>(third, 'getLedgerSummary')]);
  assert.equal(a.tip, hashes[2]);
  assert.deepEqual(a, b);
  const params = faulty.params;
  const alloc = params.allocations.reduce((s, x) => s + x.balance, 0n);
  assert.equal(BigInt(a.supply), alloc + BigInt(faulty.chain.height) * params.subsidy);
});

test('setPeerFilter: a partition holds against re-dialing and inbound connections, and heals', async () => {
  await rpc(faulty, 'addPeer', [p2pUrl(third)]);
  const gone = nextDisconnect(faulty, third);
  await rpc(faulty, 'setPeerFilter', [{ deny: [third.nodeKey.nodeId] }]);
  assert.equal(await gone, 'peer-filtered');
  await assert.rejects(rpc(faulty, 'addPeer', [p2pUrl(third)]), /peer-filtered|closed/);
  await assert.rejects(third.p2p.connect(p2pUrl(faulty)), /peer-filtered|closed/);
  // refresh ticks (every 200 ms) keep dialling the known address in both directions: still apart
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(!linked(faulty, third) && !linked(third, faulty));
  const hashes = await rpc<string[]>(faulty, 'generate', [1]);
  await new Promise((r) => setTimeout(r, 300));
  assert.notEqual(third.chain.tip.hashHex, hashes[0]);
  const tooMany = Array.from({ length: MAX_DENIED_PEERS + 1 }, (_, i) => '02' + i.toString(16).padStart(64, '0'));
  assert.equal((await rpcError(rpc(faulty, 'setPeerFilter', [{ deny: tooMany }]))).code, -32602);
  assert.equal((await rpcError(rpc(faulty, 'setPeerFilter', [{ deny: ['zz'] }]))).data?.reason, 'bad-node-id');
  await rpc(faulty, 'setPeerFilter', [{ deny: [] }]);
  // healed: the nodes dial the addresses they know again by themselves
  await waitFor(() => third.chain.tip.hashHex === hashes[0], 10_000, 'heal and sync');
});

test('setLinkFault delays every message in the transport (ping latency), capped rules', async () => {
  await waitFor(() => linked(third, faulty), 10_000, 'reconnected');
  await rpc(faulty, 'setLinkFault', [{ delayMs: 300, jitterMs: 50, dropPerMinute: 0 }]);
  // third pings faulty every refresh (200 ms); faulty's pong is held 250-350 ms
  await waitFor(() => (third.p2p.peers().find((p) => p.nodeId === faulty.nodeKey.nodeId)?.latencyMs ?? 0) >= 250, 10_000, 'delayed pong');
  await rpc(faulty, 'setLinkFault', [{ delayMs: 0, jitterMs: 0, dropPerMinute: 0 }]);
  await waitFor(() => (third.p2p.peers().find((p) => p.nodeId === faulty.nodeKey.nodeId)?.latencyMs ?? 999) < 250, 10_000, 'fast again');
  assert.equal((await rpcError(rpc(faulty, 'setLinkFault', [{ delayMs: 10, jitterMs: 20 }]))).data?.reason, 'bad-param');
  for (let i = 0; i < MAX_LINK_FAULT_RULES; i++) faulty.p2p.setLinkFault({ peer: '03' + i.toString(16).padStart(64, '0'), delayMs: 1, jitterMs: 0, dropPerMinute: 0 });
  const e = await rpcError(rpc(faulty, 'setLinkFault', [{ peer: '02' + 'ab'.repeat(32), delayMs: 1, jitterMs: 0, dropPerMinute: 0 }]));
  assert.match(e.message, /at most 256/);
  for (let i = 0; i < MAX_LINK_FAULT_RULES; i++) faulty.p2p.setLinkFault({ peer: '03' + i.toString(16).padStart(64, '0'), delayMs: 0, jitterMs: 0, dropPerMinute: 0 });
  assert.deepEqual(faulty.p2p.linkFaults(), []);
});

test('setLinkFault drops connections at the given rate', async () => {
  await waitFor(() => linked(faulty, third), 10_000, 'connected');
  const dropped = nextDisconnect(faulty, third);
  await rpc(faulty, 'setLinkFault', [{ delayMs: 0, jitterMs: 0, dropPerMinute: 600 }]); // ~every 100 ms on average, drawn each second
  assert.equal(await dropped, 'link-fault-drop');
  await rpc(faulty, 'setLinkFault', [{ delayMs: 0, jitterMs: 0, dropPerMinute: 0 }]);
});

test('setMockTime moves the clock the time rules and block timestamps use; 0 returns to real time', async () => {
  const ahead = Date.now() + 3 * 3600_000;
  await rpc(faulty, 'setMockTime', [ahead]);
  assert.ok(Math.abs(faulty.clock.now() - ahead) < 5000);
  const [h] = await rpc<string[]>(faulty, 'generate', [1]);
  const b = await rpc<{ timestamp: number }>(faulty, 'getBlock', [h]);
  assert.ok(b.timestamp >= ahead - 1000, 'block carries the mocked time');
  // third's real clock holds it back: more than 2 h in its future
  await new Promise((r) => setTimeout(r, 500));
  assert.notEqual(third.chain.tip.hashHex, h);
  await rpc(faulty, 'setMockTime', [0]);
  assert.equal(faulty.clock.offset, 0);
  assert.equal((await rpcError(rpc(faulty, 'setMockTime', [-5]))).data?.reason, 'bad-time');
});
