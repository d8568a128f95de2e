/**
 * The P2P service the full node composes: listener, peer database, peer manager, relay, sync and the
 * message handlers, wired together and to the chain ('tip') and mempool ('tx') events. This file only
 * composes; the behaviour lives in peer-manager.ts (connections), protocol/peer.ts (handshake, per-peer
 * state), protocol/relay.ts (inv/getdata), protocol/sync.ts (headers-first), protocol/handlers/* and
 * tx-announcer.ts (which new mempool transactions are announced). Options: p2p-options.ts.
 * docs/protocol.md ("Connection lifecycle, gossip and sync") is the specification.
 *
 * Start order: peer database first (so known peers are dialled before any seed), then the listener
 * (our port goes into every hello), then dialling. Stop runs in reverse and waits for every socket.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { TipChange } from '../chain/chain.js';
import { Block, blockHash } from '../core/block.js';
import { CheckedBody } from '../core/check-block.js';
import { NodeError } from '../core/errors.js';
import { Log, silentLog } from '../log.js';
import { packageVersion } from '../paths.js';
import { peerDbPath } from '../storage/peer-store.js';
import { AddrEntry, BanRecord } from './peers/addr-book.js';
import { LinkFaults, LinkFaultSpec } from './link-faults.js';
import {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_MAX_INBOUND,
  DEFAULT_MAX_MISSED_PINGS,
  DEFAULT_MAX_OUTBOUND,
  DEFAULT_REFRESH_INTERVAL_MS,
  PeerManager,
} from './peers/peer-manager.js';
import { PeerTable } from './peers/peer-table.js';
import { selfAddressKeys, splitPeerKey } from './peers/peer-url.js';
import { P2PStats, ProtocolContext, newStats } from './protocol/context.js';
import { makeMessageSink } from './protocol/dispatch.js';
import { AddrExchange } from './protocol/handlers/addr.js';
import { CompactRelay } from './protocol/handlers/compact.js';
import { HANDSHAKE_TIMEOUT_MS } from './protocol/handshake.js';
import { printable } from './protocol/messages.js';
import { DEFAULT_BAN_DURATION_MS } from './protocol/misbehavior.js';
import { LocalNode, Peer } from './protocol/peer.js';
import { Relay } from './protocol/relay.js';
import { Sync, SyncProgress } from './protocol/sync.js';
import { DEFAULT_MAX_PENDING_HANDSHAKES, Listener } from './transport/listener.js';
import type { Connection } from './transport/connection.js';
import type { P2PNodeOptions } from './p2p-options.js';
import { PeerInfo, peerInfo } from './peer-info.js';
import { TxAnnouncer } from './tx-announcer.js';

export type { P2PStats } from './protocol/context.js';
export type { P2PNodeOptions } from './p2p-options.js';
export type { PeerInfo } from './peer-info.js';

/** Blocks of one tip change announced individually; a longer run (a reorg) announces just its tip. */
const MAX_BLOCKS_TO_ANNOUNCE = 8;

export type P2PEvents = {
  'peer-connected': [info: { nodeId: string; address: string; direction: 'inbound' | 'outbound' }];
  /** Any connection closing; nodeId is null when the peer never sent a valid hello. */
  'peer-disconnected': [info: { nodeId: string | null; reason: string; address: string }];
  'peer-banned': [info: { nodeId: string; reason: string }];
  /** A peer's connection once its handshake completed (metrics tap its frames). */
  'peer-connection': [conn: Connection];
};

export class P2PNode extends EventEmitter<P2PEvents> {
  port = 0;
  readonly stats: P2PStats = newStats();
  private table: PeerTable | undefined;
  private listener: Listener | undefined;
  private manager: PeerManager | undefined;
  private relay: Relay | undefined;
  private sync: Sync | undefined;
  private compact: CompactRelay | undefined;
  private faults: LinkFaults | undefined;
  private stopping: Promise<void> | undefined;
  private readonly log: Log;
  private readonly clock: () => number;
  private readonly onTip = (change: TipChange) => this.tipChanged(change);
  /** Announces the mempool's new transactions, replacements at a bounded rate. */
  private readonly txAnnouncer: TxAnnouncer;

  constructor(private readonly opts: P2PNodeOptions) {
    super();
    this.log = opts.log ?? silentLog;
    this.clock = opts.clock ?? Date.now;
    this.txAnnouncer = new TxAnnouncer(opts.mempool, (id) => this.relay?.announceTx(id));
  }

  /** Replacements accepted into the mempool but not announced (over their sender's relay budget). */
  get replacementsNotRelayed(): number {
    return this.txAnnouncer.replacementsNotRelayed;
  }

  get nodeId(): string {
    return this.opts.nodeKey.nodeId;
  }

  /** Our listening URL (after start). */
  get url(): string {
    return `ws://${this.opts.host}:${this.port}`;
  }

  /**
   * Opens the peer database, listens, and starts dialling (known peers first, seeds if needed).
   * @throws NodeError CONFIG_ERROR (port in use...), STORAGE_LOCKED / STORAGE_CORRUPT (peer database)
   */
  async start(): Promise<{ port: number }> {
    if (this.table) throw new NodeError('INVALID_ARGUMENT', 'P2P already started');
    const o = this.opts;
    const random = o.random ?? Math.random;
    const randomBytes = o.randomBytes ?? ((n: number) => new Uint8Array(cryptoRandomBytes(n)));
    const refreshIntervalMs = o.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    const handshakeTimeoutMs = o.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    const maxInbound = o.maxInbound ?? DEFAULT_MAX_INBOUND;
    const maxPending = o.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES;
    const table = await PeerTable.open(peerDbPath(o.datadir), {
      clock: this.clock,
      random,
      selfNodeId: this.nodeId,
      ...(o.isAcceptableHost ? { isAcceptableHost: o.isAcceptableHost } : {}),
      onError: (err) => this.log.error({ err }, 'peer database write failed; will retry'),
    });
    this.table = table;
    this.log.info({ ...table.loadReport }, 'peer database loaded');
    const listener = new Listener();
    try {
      this.port = (
        // Room for the pending handshakes on top of the established slots: a full node must still be able to
        // hear a newcomer's hello to evict someone for it (inbound-eviction.ts).
        await listener.start({ host: o.host, port: o.port, maxConnections: maxInbound + maxPending, maxPendingHandshakes: maxPending, readyTimeoutMs: handshakeTimeoutMs })
      ).port;
    } catch (e) {
      await table.close();
      this.table = undefined;
      throw e;
    }
    this.listener = listener;
    const selfKeys = selfAddressKeys(o.host, this.port);
    table.book.setSelf(this.nodeId, selfKeys.map(splitPeerKey));

    const { chain, mempool } = o;
    const local: LocalNode = {
      chainId: chain.params.chainId,
      genesisHash: chain.params.genesisHash,
      nodeId: o.nodeKey.publicKey,
      nodeIdHex: o.nodeKey.nodeId,
      privateKey: o.nodeKey.privateKey,
      userAgent: o.userAgent ?? `minichain/${packageVersion()}`,
      listenPort: () => this.port,
      externalIps: () => manager?.externalIps() ?? [],
      best: () => ({ height: chain.tip.height, work: chain.tip.work, hash: chain.tip.hash }),
    };
    let manager: PeerManager | undefined;
    const established = (): Peer[] => manager?.established() ?? [];
    const relay = new Relay({
      chain,
      mempool,
      peers: established,
      clock: this.clock,
      log: this.log,
      ...(o.fetchTimeoutMs !== undefined ? { fetchTimeoutMs: o.fetchTimeoutMs } : {}),
      onBlockAbandoned: (hex, peer, why) => sync.onBlockAbandoned(hex, peer, why),
    });
    const sync: Sync = new Sync({
      chain,
      relay,
      peers: established,
      clock: this.clock,
      log: this.log,
      ...(o.syncStallMs !== undefined ? { headersTimeoutMs: o.syncStallMs } : {}),
    });
    const addrs = new AddrExchange({ book: table.book, peers: established, clock: this.clock, random, refreshIntervalMs, log: this.log, onLearned: () => manager?.kick() });
    const ctx: ProtocolContext = { chain, mempool, relay, sync, addrs, stats: this.stats, log: this.log };
    ctx.compact = this.compact = new CompactRelay(ctx, { enabled: o.compact ?? true, peers: established, blockTxnTimeoutMs: Math.min(2_000, o.fetchTimeoutMs ?? 2_000) });
    manager = new PeerManager({
      book: table.book,
      local,
      clock: this.clock,
      random,
      randomBytes,
      log: this.log,
      sink: makeMessageSink(ctx),
      addrs,
      seeds: o.seeds,
      maxOutbound: o.maxOutbound ?? DEFAULT_MAX_OUTBOUND,
      maxInbound,
      refreshIntervalMs,
      handshakeTimeoutMs,
      dialTimeoutMs: o.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      banDurationMs: o.banDurationMs ?? DEFAULT_BAN_DURATION_MS,
      maxMissedPings: o.maxMissedPings ?? DEFAULT_MAX_MISSED_PINGS,
      ...(o.externalAddress ? { externalAddress: o.externalAddress } : {}),
      ...(o.maxInboundPerIp !== undefined ? { maxInboundPerIp: o.maxInboundPerIp } : {}),
      ...(o.maxInboundPerNetgroup !== undefined ? { maxInboundPerNetgroup: o.maxInboundPerNetgroup } : {}),
    });
    manager.addSelfKeys(selfKeys);
    this.manager = manager;
    this.faults = new LinkFaults(established, random, this.log);
    this.relay = relay;
    this.sync = sync;

    this.wire(manager, relay, sync, listener);
    relay.start();
    sync.start();
    manager.start();
    this.log.info({ port: this.port, nodeId: this.nodeId, knownPeers: table.book.size, seeds: o.seeds.length }, 'P2P started');
    return { port: this.port };
  }

  /** Closes every connection, stops listening and flushes the peer database. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.opts.chain.off('tip', this.onTip);
      this.txAnnouncer.detach();
      this.faults?.stop();
      await this.manager?.stop();
      await this.listener?.stop();
      this.relay?.stop();
      this.sync?.stop();
      this.compact?.stop();
      await this.table?.close();
    })();
    return this.stopping;
  }

  /**
   * A block this node just made (miner, generate), about to be handed to the chain: high-bandwidth peers
   * get it as cmpctblock now, before it is validated and stored here (BIP-152: announce once the header's
   * proof of work checks out), so they rebuild and connect it while we connect it. Only if its header
   * screens, it extends our tip and every transaction is one our mempool holds (pushEarly); else it goes
   * out at the tip change as before. The tip change then finds those peers served. Returns the block's
   * ids when its body was bound to its header here, for the chain (acceptBlock's `checked`).
   */
  pushNewBlock(block: Block): CheckedBody | undefined {
    if (!this.compact || !this.opts.chain.screenHeader(block.header).ok) return undefined;
    return this.compact.pushEarly(block);
  }

  /** nodeIds of the established peers that asked us to push new blocks as cmpctblock (sendcmpct 1). */
  highBandwidthPeers(): string[] {
    return (this.manager?.established() ?? []).filter((p) => this.compact?.isHighBandwidthTo(p)).map((p) => p.nodeIdHex!);
  }

  /** Established peers. */
  peers(): PeerInfo[] {
    return (this.manager?.established() ?? []).map(peerInfo);
  }

  /** True while a header chain with more work than our tip is known (or a peer we asked may bring one). */
  syncing(): boolean {
    return this.sync?.syncing() ?? false;
  }

  /** Headers-first sync progress: heights, download rate, ETA. */
  syncProgress(): SyncProgress {
    return this.sync?.progress() ?? { height: this.opts.chain.height, headerHeight: this.opts.chain.height, blocksPerSec: 0, etaSec: 0 };
  }

  /**
   * Dials `url` now (outside the outbound target) and resolves once the handshake completed.
   * @throws NodeError INVALID_ARGUMENT / TIMEOUT / ABORTED (the message says why)
   */
  async connect(url: string): Promise<PeerInfo> {
    if (!this.manager || this.stopping) throw new NodeError('ABORTED', 'P2P is not running');
    return peerInfo(await this.manager.connect(url));
  }

  /** Closes the connection(s) to `nodeId`, with `reason` sent in `disconnect`. */
  disconnect(nodeId: string, reason = 'manual'): void {
    for (const p of this.manager?.connections() ?? []) if (p.nodeIdHex === nodeId) p.disconnect(reason);
  }

  /**
   * Bans `nodeId` (persisted) and drops it.
   * @throws NodeError INVALID_ARGUMENT for a malformed nodeId or duration.
   */
  ban(nodeId: string, reason = 'manual', durationMs?: number): void {
    if (!this.manager) throw new NodeError('ABORTED', 'P2P is not running');
    this.manager.ban(nodeId, reason, durationMs);
  }

  unban(nodeId: string): boolean {
    return this.table?.book.unban(nodeId) ?? false;
  }

  isBanned(nodeId: string): boolean {
    return this.table?.book.isBanned(nodeId) ?? false;
  }

  bans(): BanRecord[] {
    return this.table?.book.listBans() ?? [];
  }

  // ---- operator and test-only controls (RPC setNetworkActive, setPeerFilter, setLinkFault) ----

  /** Bitcoin Core's setnetworkactive. */
  setNetworkActive(on: boolean): void {
    this.manager?.setActive(on);
  }

  get networkActive(): boolean {
    return this.manager?.isActive ?? false;
  }

  /** A partition: `deny` nodeIds are dropped and refused in both directions until the list is cleared. */
  setPeerFilter(deny: string[]): void {
    if (!this.manager) throw new NodeError('ABORTED', 'P2P is not running');
    this.manager.setDenied(deny);
  }

  peerFilter(): string[] {
    return this.manager?.deniedPeers() ?? [];
  }

  /** @throws NodeError INVALID_ARGUMENT (see LinkFaults.set) */
  setLinkFault(spec: LinkFaultSpec): void {
    if (!this.faults) throw new NodeError('ABORTED', 'P2P is not running');
    this.faults.set(spec);
  }

  linkFaults(): LinkFaultSpec[] {
    return this.faults?.list() ?? [];
  }

  /** The address book's entries. */
  knownAddresses(): AddrEntry[] {
    return this.table?.book.all() ?? [];
  }

  /** Connects the services' events to each other, to the chain and mempool, and to our own events. */
  private wire(manager: PeerManager, relay: Relay, sync: Sync, listener: Listener): void {
    manager.on('established', (peer) => {
      this.faults?.apply(peer);
      this.emit('peer-connected', { nodeId: peer.nodeIdHex!, address: `${peer.host}:${peer.remotePort}`, direction: peer.direction });
      sync.onPeerEstablished(peer);
      this.compact?.onEstablished(peer);
      relay.trickleMempool(peer);
      this.emit('peer-connection', peer.conn);
    });
    manager.on('closed', (peer, info) => {
      relay.removePeer(peer);
      sync.onPeerClosed(peer);
      this.compact?.onClosed(peer);
      this.emit('peer-disconnected', { nodeId: peer.nodeIdHex ?? null, reason: printable(info.reason), address: `${peer.host}:${peer.remotePort}` });
    });
    manager.on('banned', (info) => {
      this.stats.bans++;
      this.emit('peer-banned', info);
    });
    manager.on('tick', () => {
      for (const p of manager.established()) relay.trickleMempool(p);
    });
    listener.on('connection', (conn) => manager.accept(conn));
    listener.on('error', (err) => this.log.error({ err }, 'P2P listener error'));
    this.opts.chain.on('tip', this.onTip);
    this.txAnnouncer.attach();
  }

  private tipChanged(change: TipChange): void {
    const relay = this.relay!;
    relay.noteConfirmed(change.connected);
    this.sync!.onTip(change);
    // A block of ours (mined, submitted) that extends the tip: high-bandwidth peers get it compact first.
    // (Connected: the chain checked its body against its header already.)
    if (change.connected.length === 1 && change.disconnected.length === 0) this.compact?.pushEarly(change.connected[0]!, undefined, true);
    // Announced whatever sync is doing: what a peer claims must never hold back relay to the others.
    relay.announce('block', change.connected.slice(-MAX_BLOCKS_TO_ANNOUNCE).map((b) => blockHash(b.header)));
  }
}
