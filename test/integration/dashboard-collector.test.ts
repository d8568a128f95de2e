/**
 * The dashboard's collector and server against scripted nodes (a real HTTP JSON-RPC + /metrics server
 * on 127.0.0.1 whose answers the test sets): the block tree follows tips, a tip switch becomes a
 * "reorg of depth d" event, a ban counter step becomes a ban event, an exited process a dead node;
 * the block tree, the event list and the event-stream clients stay within their caps; the server
 * refuses foreign Host headers and cross-origin POSTs, and serves the libraries from their packages.
 * Also: the node never imports the dashboard.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Collector, DashboardNodeSource, MAX_EVENTS } from '../../node/dashboard/collector.js';
import { DashboardServer, MAX_BODY_BYTES, MAX_CLIENTS } from '../../node/dashboard/server.js';
import { Partitioner, checkGroups } from '../../node/dashboard/partition.js';
import { repoRoot } from '../helpers/chain-fixtures.js';

interface FakeBlock {
  hash: string;
  prevHash: string;
  height: number;
  timestamp: number;
  txs: unknown[];
}

const h = (tag: string) => tag.padStart(64, 'f');

class FakeNode {
  tip = h('00');
  bans = 0;
  nodeId = '02' + 'ab'.repeat(32);
  /** Like a node started with --allow-faults; the deny list setPeerFilter set. */
  faults = true;
  deny: string[] = [];
  readonly blocks = new Map<string, FakeBlock>();
  private server = http.createServer((req, res) => this.handle(req, res));
  url = '';

  add(tag: string, prevTag: string | null, height: number): void {
    this.blocks.set(h(tag), { hash: h(tag), prevHash: prevTag === null ? '0'.repeat(64) : h(prevTag), height, timestamp: 1_000_000 + height * 2000, txs: [] });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE minichain_peer_bans_total counter\nminichain_peer_bans_total{reason="bad-blk-pow"} ${this.bans}\n`);
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      if (r.method === 'setPeerFilter') {
        // The reply of a real node (node/rpc/operator-methods.ts), with and without --allow-faults.
        if (!this.faults) {
          const error = { code: -32003, message: 'setPeerFilter is a test-only control: start the node with --allow-faults', data: { reason: 'faults-not-allowed' } };
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: r.id, error }));
        }
        this.deny = (r.params[0] as { deny: string[] }).deny;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: r.id, result: { deny: this.deny } }));
      }
      const tipBlock = this.blocks.get(this.tip)!;
      const result =
        r.method === 'getInfo'
          ? { height: tipBlock.height, tip: this.tip, peers: 0, mempool: 0, syncing: false, nodeId: this.nodeId }
          : r.method === 'getPeers'
            ? []
            : this.blocks.get(r.params[0] as string);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: r.id, result }));
    });
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function fakeNet(): Promise<{ node: FakeNode; exited: { why: string | undefined }; collector: Collector }> {
  const node = new FakeNode();
  node.add('00', null, 0);
  await node.start();
  cleanups.push(() => node.stop());
  const exited = { why: undefined as string | undefined };
  const src: DashboardNodeSource = { index: 1, p2p: 'ws://127.0.0.1:1', rpc: node.url, miner: false, seed: true, exited: () => exited.why };
  const collector = new Collector({ nodes: () => [src], metricsEvery: 1, maxBlocks: 10 });
  return { node, exited, collector };
}

test('collector: block tree, reorg depth, ban and exit events, tree cap', async () => {
  const { node, exited, collector } = await fakeNet();
  node.add('a1', '00', 1);
  node.add('a2', 'a1', 2);
  node.tip = h('a2');
  let s = await collector.poll();
  assert.deepEqual(s.blocks.map((b) => b.height), [0, 1, 2]);
  assert.deepEqual(s.blocks.find((b) => b.hash === h('a2'))!.tips, [1]);
  assert.equal(s.nodes[0]!.state, 'alive');

  // A heavier branch from genesis: the node switches, disconnecting a1 and a2.
  for (let i = 1; i <= 3; i++) node.add(`b${i}`, i === 1 ? '00' : `b${i - 1}`, i);
  node.tip = h('b3');
  node.bans = 1;
  s = await collector.poll();
  assert.ok(s.events.some((e) => e.kind === 'reorg' && /node1 reorg of depth 2 at height 0/.test(e.text)), JSON.stringify(s.events));
  assert.ok(s.events.some((e) => e.kind === 'ban' && /node1 banned 1 peer: bad-blk-pow/.test(e.text)));
  assert.deepEqual(s.blocks.filter((b) => !b.main).map((b) => b.hash).sort(), [h('a1'), h('a2')], 'the old branch stays visible as a side branch');
  assert.equal(s.nodes[0]!.bans, 1);

  // The tree keeps at most maxBlocks (10 here): a long chain evicts the lowest heights.
  for (let i = 4; i <= 20; i++) node.add(`b${i}`, `b${i - 1}`, i);
  node.tip = h('b20');
  s = await collector.poll();
  assert.equal(collector.sizes.blocks, 10);
  assert.equal(Math.min(...s.blocks.map((b) => b.height)), 11);
  assert.equal(s.series.length, 9, 'one point per block whose parent is known');

  exited.why = 'signal SIGKILL';
  s = await collector.poll();
  assert.equal(s.nodes[0]!.state, 'dead');
  assert.ok(s.events.some((e) => e.kind === 'exit' && e.text === 'node1 exited (signal SIGKILL)'));
});

test('collector: the event list is capped at MAX_EVENTS, newest kept', async () => {
  const { collector } = await fakeNet();
  for (let i = 0; i < MAX_EVENTS + 50; i++) collector.note('control', `event ${i}`);
  assert.equal(collector.sizes.events, MAX_EVENTS);
  const s = await collector.poll();
  assert.equal(s.events[0]!.text, `event ${MAX_EVENTS + 49}`);
});

test('server: static files from the packages, Host and Origin checks, controls, stream cap', async () => {
  const { collector } = await fakeNet();
  await collector.poll();
  const calls: string[] = [];
  const server = new DashboardServer({ collector, controls: { stop: async (i) => (calls.push(`stop ${i}`), `node${i} stopped`), start: async (i) => `node${i} started` } });
  const url = await server.start(0);
  cleanups.push(() => server.stop());

  for (const [path, type] of [['/', 'text/html'], ['/app.js', 'text/javascript'], ['/vendor/cytoscape.min.js', 'text/javascript'], ['/vendor/uPlot.iife.min.js', 'text/javascript'], ['/vendor/uPlot.min.css', 'text/css']] as const) {
    const r = await fetch(new URL(path, url));
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type')!, new RegExp(type), path);
    assert.ok((await r.text()).length > 100, path);
  }
  assert.equal((await fetch(new URL('/nope', url))).status, 404);
  const state = (await (await fetch(new URL('/api/state', url))).json()) as { nodes: unknown[] };
  assert.equal(state.nodes.length, 1);

  // DNS rebinding: a foreign Host header is refused (fetch forbids setting Host, so use http.request).
  const status = await new Promise<number>((resolve, reject) => {
    http.get(new URL('/', url), { headers: { host: `evil.example:${server.port}` } }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject);
  });
  assert.equal(status, 421);
  const cross = await fetch(new URL('/api/nodes/1/stop', url), { method: 'POST', headers: { origin: 'http://evil.example' } });
  assert.equal(cross.status, 403);
  assert.deepEqual(calls, []);
  const ok = await fetch(new URL('/api/nodes/1/stop', url), { method: 'POST', headers: { origin: url.replace(/\/$/, '') } });
  assert.equal(ok.status, 200);
  assert.deepEqual(calls, ['stop 1']);
  assert.ok(collector.snapshot && (await collector.poll()).events.some((e) => e.text === 'node1 stopped'));

  // At most MAX_CLIENTS event streams.
  const streams: AbortController[] = [];
  cleanups.push(() => streams.forEach((c) => c.abort()));
  for (let i = 0; i < MAX_CLIENTS; i++) {
    const c = new AbortController();
    streams.push(c);
    const r = await fetch(new URL('/events', url), { signal: c.signal });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /text\/event-stream/);
  }
  assert.equal((await fetch(new URL('/events', url))).status, 503);
  for (const c of streams) c.abort();
});

test('split/heal: each side denies the other by nodeId, heal clears; a node without --allow-faults fails the split with its one-line error, nothing left split', async () => {
  const fakes: FakeNode[] = [];
  for (let i = 1; i <= 3; i++) {
    const n = new FakeNode();
    n.add('00', null, 0);
    n.nodeId = '02' + String(i).repeat(64);
    await n.start();
    cleanups.push(() => n.stop());
    fakes.push(n);
  }
  const down = { node3: undefined as string | undefined };
  const sources: DashboardNodeSource[] = fakes.map((n, i) => ({ index: i + 1, p2p: `ws://127.0.0.1:${i + 1}`, rpc: n.url, miner: false, seed: true, exited: () => (i === 2 ? down.node3 : undefined) }));
  const collector = new Collector({ nodes: () => sources, controls: true });
  await collector.poll();
  const partition = new Partitioner({ nodes: () => sources, knownId: (i) => collector.nodeId(i) });
  const server = new DashboardServer({ collector, partition });
  const url = await server.start(0);
  cleanups.push(() => server.stop());
  const origin = url.replace(/\/$/, '');
  const split = (body: string) => fetch(new URL('/api/split', url), { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body });
  const [id1, id2, id3] = fakes.map((n) => n.nodeId);

  // Cross-origin and malformed requests change nothing.
  assert.equal((await fetch(new URL('/api/split', url), { method: 'POST', headers: { origin: 'http://evil.example' }, body: '{"groups":[[1],[2,3]]}' })).status, 403);
  assert.equal((await split('not json')).status, 400);
  assert.equal((await split('x'.repeat(MAX_BODY_BYTES + 1))).status, 400);
  assert.throws(() => checkGroups([[1], [2]], [1, 2, 3]), /node3 in no group/);
  assert.throws(() => checkGroups([[1, 2], [2, 3]], [1, 2, 3]), /node2 is in two groups/);
  assert.throws(() => checkGroups([[1, 2, 3]], [1, 2, 3]), /expected 2\.\.3 groups/);
  assert.equal((await split('{"groups":[[1,9],[2,3]]}')).status, 400);
  assert.deepEqual(fakes.map((n) => n.deny), [[], [], []]);

  // 1 | 2,3: node1 denies 2 and 3, they deny node1; the snapshot carries the partition.
  let r = await split('{"groups":[[1],[2,3]]}');
  assert.equal(r.status, 200, await r.clone().text());
  assert.deepEqual(fakes.map((n) => n.deny.slice().sort()), [[id2, id3].sort(), [id1], [id1]]);
  let s = await collector.poll();
  assert.deepEqual(s.partition, [[1], [2, 3]]);
  assert.ok(s.events.some((e) => e.kind === 'control' && e.text.startsWith('split 1 | 2,3')), JSON.stringify(s.events));

  // Heal: every filter cleared, no partition shown.
  r = await fetch(new URL('/api/heal', url), { method: 'POST', headers: { origin } });
  assert.equal(r.status, 200);
  assert.deepEqual(fakes.map((n) => n.deny), [[], [], []]);
  s = await collector.poll();
  assert.equal(s.partition, null);

  // A node that is down gets no filter, but the others still deny its last known id.
  down.node3 = 'signal SIGTERM';
  r = await split('{"groups":[[1,3],[2]]}');
  assert.equal(r.status, 200);
  assert.match(((await r.json()) as { message: string }).message, /node3 down/);
  assert.deepEqual([fakes[0]!.deny, fakes[1]!.deny.slice().sort()], [[id2], [id1, id3].sort()]);
  await fetch(new URL('/api/heal', url), { method: 'POST', headers: { origin } });
  down.node3 = undefined;

  // node2 runs without --allow-faults: the split fails, its RPC error is the event line, node1/node3 are cleared again.
  fakes[1]!.faults = false;
  r = await split('{"groups":[[1],[2,3]]}');
  assert.equal(r.status, 400);
  const msg = ((await r.json()) as { message: string }).message;
  assert.equal(msg, 'split not applied: node2: setPeerFilter is a test-only control: start the node with --allow-faults');
  assert.deepEqual(fakes.map((n) => n.deny), [[], [], []]);
  s = await collector.poll();
  assert.equal(s.partition, null);
  assert.ok(s.events.some((e) => e.kind === 'error' && e.text === msg), JSON.stringify(s.events));
});

test('the node does not import the dashboard (only the testnet launcher does)', () => {
  const root = join(repoRoot(import.meta.url), 'node');
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'dashboard' && e.name !== 'testnet') walk(p);
      } else if (e.name.endsWith('.ts') && /from '[^']*dashboard\//.test(readFileSync(p, 'utf8'))) offenders.push(p);
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});
