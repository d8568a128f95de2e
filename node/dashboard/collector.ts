/**
 * What the dashboard shows, gathered from the nodes themselves: every poll asks each node's RPC for
 * getInfo and getPeers (and every few polls scrapes its /metrics), follows new tips back through
 * getBlock into a shared block tree, and turns the differences between polls into events (a node
 * exited or stopped answering, a reorg of depth d, a ban with its reason). The result is one JSON
 * snapshot per poll (its shape in snapshot.ts), pushed to the browser by server.ts.
 *
 * Bounds: one poll in flight at a time; each RPC call times out; the block tree keeps at most
 * MAX_BLOCKS blocks (the lowest heights are evicted first, block-tree.ts); at most MAX_WALK blocks are
 * fetched per node per poll; the event list keeps the newest MAX_EVENTS. Imports only the RPC client,
 * the metrics parser and its own folder's pure parts: the node does not depend on the dashboard, and
 * the dashboard only talks to nodes over their public RPC.
 */
import { EventEmitter } from 'node:events';
import { rpcCall } from '../rpc/client.js';
import { parseExposition, sumOf } from './prom-text.js';
import { InfoJson } from '../rpc/format.js';
import { BlockTree, evictLowest, forkPoint, MAX_BLOCKS, treeView } from './block-tree.js';
import { EdgeView, EventView, NodeView, Snapshot } from './snapshot.js';

export { MAX_BLOCKS, TREE_WINDOW } from './block-tree.js';
export type { BlockView, EdgeView, EventView, NodeState, NodeView, Snapshot, SpreadView } from './snapshot.js';

export const MAX_EVENTS = 200;
const MAX_WALK = 120;

/** One node as the launcher knows it. `exited()` says why the process is gone, if it is. */
export interface DashboardNodeSource {
  index: number;
  p2p: string;
  rpc: string;
  miner: boolean;
  seed: boolean;
  exited(): string | undefined;
}

interface NodeTrack {
  view: NodeView;
  lastTip: string | null;
  bansByReason: Map<string, number> | null;
}

type Info = Pick<InfoJson, 'height' | 'tip' | 'peers' | 'mempool' | 'syncing' | 'nodeId'>;

interface PeerJson {
  nodeId: string;
  direction: 'inbound' | 'outbound';
  latencyMs: number | null;
}

interface BlockJson {
  hash: string;
  prevHash: string;
  height: number;
  timestamp: number;
  txs: unknown[];
}

export interface CollectorOptions {
  nodes: () => DashboardNodeSource[];
  pollMs?: number;
  /** Scrape /metrics every this many polls (default 4). */
  metricsEvery?: number;
  rpcTimeoutMs?: number;
  controls?: boolean;
  clock?: () => number;
  /** Block tree cap (default MAX_BLOCKS). */
  maxBlocks?: number;
}

export class Collector extends EventEmitter<{ snapshot: [Snapshot] }> {
  private readonly blocks: BlockTree = new Map();
  private readonly tracks = new Map<number, NodeTrack>();
  private readonly events: EventView[] = [];
  private edges: EdgeView[] = [];
  private timer: NodeJS.Timeout | undefined;
  private polls = 0;
  private stopped = true;
  private last: Snapshot | undefined;
  private readonly clock: () => number;
  readonly pollMs: number;
  /** Set by the server's split/heal; shown on the page. */
  partition: number[][] | null = null;

  constructor(private readonly o: CollectorOptions) {
    super();
    this.pollMs = o.pollMs ?? 500;
    this.clock = o.clock ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async () => {
      try {
        await this.poll();
      } catch (e) {
        this.note('control', `dashboard poll failed: ${(e as Error).message}`);
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.pollMs);
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  get snapshot(): Snapshot | undefined {
    return this.last;
  }

  /** The nodeId a node last reported, or null. */
  nodeId(index: number): string | null {
    return this.tracks.get(index)?.view.nodeId ?? null;
  }

  /** Adds an event (also used by the server for stop/start requests). */
  note(kind: EventView['kind'], text: string): void {
    this.events.push({ at: this.clock(), kind, text });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  /** One round: every node in parallel, then the snapshot. */
  async poll(): Promise<Snapshot> {
    const sources = this.o.nodes();
    const scrape = this.polls++ % (this.o.metricsEvery ?? 4) === 0;
    const results = await Promise.all(sources.map((s) => this.pollNode(s, scrape)));
    const idByIndex = new Map<string, number>();
    for (const s of sources) {
      const id = this.tracks.get(s.index)?.view.nodeId;
      if (id) idByIndex.set(id, s.index);
    }
    const edges = new Map<string, EdgeView>();
    for (const r of results) {
      if (!r) continue;
      for (const p of r.peers) {
        const other = idByIndex.get(p.nodeId);
        if (other === undefined) continue;
        const [from, to] = p.direction === 'outbound' ? [r.index, other] : [other, r.index];
        const id = `${from}-${to}`;
        const known = edges.get(id);
        if (!known || (p.direction === 'outbound' && p.latencyMs !== null)) edges.set(id, { id, from, to, latencyMs: p.latencyMs ?? known?.latencyMs ?? null });
      }
    }
    this.edges = [...edges.values()].sort((a, b) => a.from - b.from || a.to - b.to);
    evictLowest(this.blocks, this.o.maxBlocks ?? MAX_BLOCKS);
    this.last = this.build(sources);
    this.emit('snapshot', this.last);
    return this.last;
  }

  private track(s: DashboardNodeSource): NodeTrack {
    let t = this.tracks.get(s.index);
    if (!t) {
      const view: NodeView = { index: s.index, p2p: s.p2p, rpc: withoutCredentials(s.rpc), miner: s.miner, seed: s.seed, state: 'starting', nodeId: null, height: null, tip: null, peers: null, mempool: null, syncing: null, bans: null };
      t = { view, lastTip: null, bansByReason: null };
      this.tracks.set(s.index, t);
    }
    t.view.rpc = withoutCredentials(s.rpc);
    t.view.p2p = s.p2p;
    return t;
  }

  private async pollNode(s: DashboardNodeSource, scrape: boolean): Promise<{ index: number; peers: PeerJson[] } | undefined> {
    const t = this.track(s);
    const v = t.view;
    const timeout = this.o.rpcTimeoutMs ?? 1500;
    const exited = s.exited();
    if (exited !== undefined) {
      if (v.state !== 'dead') this.note('exit', `node${s.index} exited (${exited})`);
      Object.assign(v, { state: 'dead', peers: null, mempool: null, syncing: null });
      return undefined;
    }
    let info: Info;
    let peers: PeerJson[];
    try {
      [info, peers] = await Promise.all([rpcCall<Info>(s.rpc, 'getInfo', [], timeout), rpcCall<PeerJson[]>(s.rpc, 'getPeers', [], timeout)]);
    } catch {
      if (v.state === 'alive') this.note('no-answer', `node${s.index} stopped answering on ${s.rpc}`);
      if (v.state !== 'starting') v.state = 'no-answer';
      return undefined;
    }
    if (v.state === 'no-answer' || v.state === 'dead') this.note('back', `node${s.index} is answering again`);
    Object.assign(v, { state: 'alive', nodeId: info.nodeId, height: info.height, tip: info.tip, peers: info.peers, mempool: info.mempool, syncing: info.syncing });
    await this.followTip(s, t, info.tip);
    if (scrape) await this.scrapeMetrics(s, t, timeout);
    return { index: s.index, peers };
  }

  /** Fetches the blocks between what we know and the node's tip, marks them seen, detects a reorg. */
  private async followTip(s: DashboardNodeSource, t: NodeTrack, tip: string): Promise<void> {
    if (t.lastTip === tip) return;
    const first = t.lastTip === null;
    const now = first ? -1 : this.clock();
    let hash: string | undefined = tip;
    for (let i = 0; hash && i < MAX_WALK; i++) {
      let b = this.blocks.get(hash);
      if (!b) {
        const j: BlockJson = await rpcCall<BlockJson>(s.rpc, 'getBlock', [hash], this.o.rpcTimeoutMs ?? 1500);
        // Another node's walk may have fetched the same block meanwhile: keep its record (and marks).
        b = this.blocks.get(hash) ?? { hash: j.hash, prev: j.prevHash, height: j.height, txs: j.txs.length, timestamp: j.timestamp, seen: new Map() };
        this.blocks.set(hash, b);
      }
      if (b.seen.has(s.index)) break;
      b.seen.set(s.index, now);
      if (b.height === 0) break;
      hash = b.prev;
    }
    const old = t.lastTip ? this.blocks.get(t.lastTip) : undefined;
    const fork = old && forkPoint(this.blocks, old, this.blocks.get(tip)!);
    if (old && fork && fork.hash !== old.hash) {
      const depth = old.height - fork.height;
      this.note('reorg', `node${s.index} reorg of depth ${depth} at height ${fork.height}: ${old.hash.slice(0, 8)} -> ${tip.slice(0, 8)}`);
    }
    t.lastTip = tip;
  }

  private async scrapeMetrics(s: DashboardNodeSource, t: NodeTrack, timeout: number): Promise<void> {
    let text: string;
    try {
      // fetch refuses credentials in a URL: a cookie-protected node's user:password goes in the header.
      const url = new URL('/metrics', s.rpc);
      const headers: Record<string, string> = {};
      if (url.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
      url.username = url.password = '';
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeout) });
      if (!res.ok) return;
      text = await res.text();
    } catch {
      return;
    }
    const e = parseExposition(text);
    const byReason = new Map<string, number>();
    for (const x of e.samples) if (x.name === 'minichain_peer_bans_total') byReason.set(x.labels.reason ?? '', x.value);
    if (t.bansByReason)
      for (const [reason, n] of byReason) {
        const d = n - (t.bansByReason.get(reason) ?? 0);
        if (d > 0) this.note('ban', `node${s.index} banned ${d} peer${d > 1 ? 's' : ''}: ${reason}`);
      }
    t.bansByReason = byReason;
    t.view.bans = sumOf(e, 'minichain_peer_bans_total');
  }

  /** How much the collector holds (for tests and logs). */
  get sizes(): { blocks: number; events: number } {
    return { blocks: this.blocks.size, events: this.events.length };
  }

  private build(sources: DashboardNodeSource[]): Snapshot {
    const views = sources.map((s) => this.tracks.get(s.index)!.view);
    const { blocks, series, spread } = treeView(this.blocks, views);
    return {
      at: this.clock(),
      pollMs: this.pollMs,
      nodes: views.map((v) => ({ ...v })),
      edges: this.edges,
      blocks,
      spread,
      series,
      events: this.events.slice(-50).reverse(),
      controls: this.o.controls === true,
      partition: this.partition,
    };
  }
}

/** The RPC URL as the page shows it: a cookie's user:password (--hosts) never leaves the server. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
