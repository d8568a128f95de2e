/**
 * Prometheus metrics of one node (prom-client, text exposition format), served by the RPC server on
 * GET /metrics. One registry per node (no global registry: several in-process nodes in a test must not
 * share counters). Everything is fed from events the parts already emit, or read from their counters
 * at scrape time, so the instrumented modules carry no metrics code of their own.
 *
 * Names follow the Prometheus conventions: `minichain_` prefix, `_total` counters, base units in the
 * name (`_seconds`, `_bytes`). Label values are bounded sets (message types, directions, verdict
 * reasons, close reasons), never ids or addresses, so the series count stays small.
 * Imports prom-client and the node's types only; nothing imports this module but the composition root.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Chain, TipChange } from '../chain/chain.js';
import type { Mempool } from '../chain/mempool.js';
import type { P2PNode } from '../p2p/p2p-node.js';
import type { Connection } from '../p2p/transport/connection.js';
import { MESSAGE_TYPES, decodeMessage } from '../p2p/protocol/messages.js';
import { toHex } from '../core/bytes.js';

/** Label values are capped: an unexpected flood of distinct reasons folds into "other". */
export const MAX_REASON_LABELS = 64;
/** Transaction announcements remembered for the first-seen delay; the oldest is forgotten first. */
export const MAX_ANNOUNCED = 5000;

export interface MetricsSources {
  chain: Chain;
  mempool: Mempool;
  p2p: P2PNode;
  sigCache?: { hits: number; misses: number };
  /** Signatures verified for blocks (the worker pool) and for mempool entry. */
  sigChecks?: () => { block: number; mempool: number };
  /** Wall clock in ms (tip age, first-seen delay). */
  clock?: () => number;
}

const TYPE_BY_CODE = new Map<number, string>(Object.entries(MESSAGE_TYPES).map(([name, code]) => [code, name]));

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly reasons = new Set<string>();
  /** tx id hex -> when a peer first announced it (insertion order = age). */
  private readonly announced = new Map<string, number>();
  private clock: () => number = Date.now;
  private readonly detachers: (() => void)[] = [];

  private readonly peers = this.gauge('minichain_peers', 'Connected peers (handshake done) by direction', ['direction']);
  private readonly connects = this.counter('minichain_peer_connects_total', 'Peer connections established, by direction', ['direction']);
  private readonly disconnects = this.counter('minichain_peer_disconnects_total', 'Peer connections closed, by reason', ['reason']);
  private readonly bans = this.counter('minichain_peer_bans_total', 'Peers banned, by reason', ['reason']);
  private readonly msgsIn = this.counter('minichain_p2p_messages_received_total', 'P2P messages received (after handshake), by type', ['type']);
  private readonly msgsOut = this.counter('minichain_p2p_messages_sent_total', 'P2P messages sent (after handshake), by type', ['type']);
  private readonly bytesIn = this.counter('minichain_p2p_received_bytes_total', 'P2P message bytes received, by type', ['type']);
  private readonly bytesOut = this.counter('minichain_p2p_sent_bytes_total', 'P2P message bytes sent, by type', ['type']);
  private readonly blocksConnected = this.counter('minichain_blocks_connected_total', 'Blocks connected to the main chain');
  private readonly blocksDisconnected = this.counter('minichain_blocks_disconnected_total', 'Blocks disconnected from the main chain by reorgs');
  private readonly reorgs = this.counter('minichain_reorgs_total', 'Reorganisations (a tip change that disconnected blocks)');
  private readonly reorgDepth = new Histogram({ name: 'minichain_reorg_depth_blocks', help: 'Blocks disconnected per reorg', buckets: [1, 2, 3, 5, 10, 20, 50, 100], registers: [this.registry] });
  private readonly tipHeight = this.gauge('minichain_tip_height', 'Height of the best chain tip');
  private readonly tipAge = this.gauge('minichain_tip_age_seconds', 'Wall clock minus the tip block timestamp');
  private readonly syncing = this.gauge('minichain_sync_active', '1 while block sync from a peer is running');
  private readonly bestPeerHeight = this.gauge('minichain_sync_best_peer_height', 'Highest height a connected peer claims (sync target)');
  private readonly txAccepted = this.counter('minichain_txs_accepted_total', 'Transactions admitted to the mempool');
  private readonly txRejected = this.counter('minichain_txs_rejected_total', 'Transactions refused by the mempool, by reason', ['reason']);
  private readonly mempoolTxs = this.gauge('minichain_mempool_txs', 'Transactions in the mempool');
  private readonly mempoolBytes = this.gauge('minichain_mempool_bytes', 'Encoded bytes of the mempool transactions');
  private readonly sigVerifications = this.counter('minichain_sig_verifications_total', 'Signatures verified, by path', ['path']);
  private readonly sigCacheHits = this.counter('minichain_sig_cache_hits_total', 'Signature cache lookups that hit');
  private readonly sigCacheMisses = this.counter('minichain_sig_cache_misses_total', 'Signature cache lookups that missed');
  private readonly connectTime = new Histogram({
    name: 'minichain_block_accept_seconds',
    help: 'Time to validate and store a block (and connect it when it extends the best chain), by outcome',
    labelNames: ['status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly blockDelay = new Histogram({
    name: 'minichain_block_first_seen_delay_seconds',
    help: 'Delay from a block header timestamp to the block connecting here (propagation plus validation)',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly txDelay = new Histogram({
    name: 'minichain_tx_first_seen_delay_seconds',
    help: 'Delay from the first inv announcing a transaction to its admission to the mempool (fetch plus validation)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    // Event-loop lag, heap and RSS, CPU: prom-client's standard process metrics under our prefix.
    collectDefaultMetrics({ register: this.registry, prefix: 'minichain_', eventLoopMonitoringPrecision: 20 });
    for (const d of ['inbound', 'outbound']) {
      this.peers.set({ direction: d }, 0);
      this.connects.inc({ direction: d }, 0);
    }
    for (const path of ['block', 'mempool']) this.sigVerifications.inc({ path }, 0);
  }

  /** Subscribes to the node's parts; the returned function (and `detach`) unsubscribes. */
  attach(s: MetricsSources): void {
    const clock = s.clock ?? Date.now;
    this.clock = clock;
    const on = <T extends unknown[]>(em: { on(e: string, f: (...a: T) => void): unknown; off(e: string, f: (...a: T) => void): unknown }, e: string, f: (...a: T) => void) => {
      em.on(e, f);
      this.detachers.push(() => em.off(e, f));
    };
    on(s.chain, 'tip', (c: TipChange) => {
      this.blocksConnected.inc(c.connected.length);
      if (c.disconnected.length > 0) {
        this.blocksDisconnected.inc(c.disconnected.length);
        this.reorgs.inc();
        this.reorgDepth.observe(c.disconnected.length);
      }
      const now = clock();
      for (const b of c.connected) this.blockDelay.observe(Math.max(0, now - b.header.timestamp) / 1000);
    });
    on(s.chain, 'accepted', (a: { status: string; ms: number }) => this.connectTime.observe({ status: this.reason(a.status) }, a.ms / 1000));
    on(s.mempool, 'tx', (_tx: unknown, idHex: string) => {
      this.txAccepted.inc();
      const at = this.announced.get(idHex);
      if (at !== undefined) {
        this.announced.delete(idHex);
        this.txDelay.observe(Math.max(0, clock() - at) / 1000);
      }
    });
    on(s.mempool, 'rejected', (reason: string) => this.txRejected.inc({ reason: this.reason(reason) }));
    on(s.p2p, 'peer-connected', (i: { direction: string }) => this.connects.inc({ direction: i.direction }));
    on(s.p2p, 'peer-disconnected', (i: { reason: string }) => this.disconnects.inc({ reason: this.reason(i.reason) }));
    on(s.p2p, 'peer-banned', (i: { reason: string }) => this.bans.inc({ reason: this.reason(i.reason) }));
    on(s.p2p, 'peer-connection', (conn: Connection) => this.tap(conn));

    let last = { hits: 0, misses: 0, block: 0, mempool: 0 };
    const collect = () => {
      const peers = s.p2p.peers();
      for (const d of ['inbound', 'outbound'] as const) this.peers.set({ direction: d }, peers.filter((p) => p.direction === d).length);
      this.bestPeerHeight.set(peers.reduce((m, p) => Math.max(m, p.height), 0));
      this.syncing.set(s.p2p.syncing() ? 1 : 0);
      this.tipHeight.set(s.chain.height);
      this.tipAge.set(Math.max(0, clock() - s.chain.tip.timestamp) / 1000);
      this.mempoolTxs.set(s.mempool.size);
      this.mempoolBytes.set(s.mempool.bytes);
      const now = { hits: s.sigCache?.hits ?? 0, misses: s.sigCache?.misses ?? 0, ...(s.sigChecks?.() ?? { block: 0, mempool: 0 }) };
      this.sigCacheHits.inc(Math.max(0, now.hits - last.hits));
      this.sigCacheMisses.inc(Math.max(0, now.misses - last.misses));
      this.sigVerifications.inc({ path: 'block' }, Math.max(0, now.block - last.block));
      this.sigVerifications.inc({ path: 'mempool' }, Math.max(0, now.mempool - last.mempool));
      last = now;
    };
    this.collect = collect;
  }

  private collect: () => void = () => {};

  /** The text exposition (Content-Type `this.contentType`). */
  async text(): Promise<string> {
    this.collect();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  detach(): void {
    for (const d of this.detachers.splice(0)) d();
    this.collect = () => {};
  }

  /** Counts a connection's frames both ways by message type (the first byte of every frame). */
  private tap(conn: Connection): void {
    const type = (f: Uint8Array) => (f.length > 0 ? TYPE_BY_CODE.get(f[0]!) : undefined) ?? 'unknown';
    const onIn = (f: Uint8Array) => {
      const t = type(f);
      this.msgsIn.inc({ type: t });
      this.bytesIn.inc({ type: t }, f.length);
      if (t === 'inv') this.noteAnnounced(f);
    };
    const onOut = (f: Uint8Array) => {
      const t = type(f);
      this.msgsOut.inc({ type: t });
      this.bytesOut.inc({ type: t }, f.length);
    };
    conn.on('frame', onIn);
    conn.on('sent', onOut);
    void conn.closed.then(() => {
      conn.off('frame', onIn);
      conn.off('sent', onOut);
    });
  }

  /** Remembers when each announced tx was first announced (a bad frame is the peer handler's business). */
  private noteAnnounced(frame: Uint8Array): void {
    let m;
    try {
      m = decodeMessage(frame);
    } catch {
      return;
    }
    if (m.type !== 'inv') return;
    const now = this.clock();
    for (const it of m.items) {
      if (it.kind !== 'tx') continue;
      const hex = toHex(it.hash);
      if (this.announced.has(hex)) continue;
      if (this.announced.size >= MAX_ANNOUNCED) this.announced.delete(this.announced.keys().next().value!);
      this.announced.set(hex, now);
    }
  }

  /** A reason label, or "other" once MAX_REASON_LABELS distinct values were seen. */
  private reason(r: string): string {
    if (this.reasons.has(r)) return r;
    if (this.reasons.size >= MAX_REASON_LABELS) return 'other';
    this.reasons.add(r);
    return r;
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge<string> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
