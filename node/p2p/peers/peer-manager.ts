/**
 * PeerManager: which connections we have and want, after Bitcoin Core's CConnman. It
 *   - accepts inbound connections (the listener caps them) and has outbound ones dialled up to the target
 *     (outbound-dialer.ts: AddrBook picks first, the seeds only while too few peers are reachable);
 *   - admits a peer after its hello (banned nodeIds and IPs are refused, inbound limits and eviction
 *     apply) and keeps one connection per node and direction: a second one the same way is closed;
 *   - records every outcome in the AddrBook (attempts, failures, successful handshakes with the proven
 *     nodeId, a peer's advertised listening address) and bans a peer whose misbehaviour score reached
 *     the threshold, by nodeId, for `banDurationMs`;
 *   - runs the periodic refresh: ping every peer (dropping one that misses `maxMissedPings` in a row),
 *     ask for addresses while below the outbound target, dial new ones.
 *
 * Message handling is not here (protocol/dispatch.ts); this module only sees Peer lifecycle events.
 * Imports transport, protocol/peer and the address book; never chain, mempool, relay or sync.
 */
import { EventEmitter } from 'node:events';
import { NodeError } from '../../core/errors.js';
import { Log } from '../../log.js';
import { AddrBook, peerKey } from './addr-book.js';
import { AddrExchange } from '../protocol/handlers/addr.js';
import { HelloMessage } from '../protocol/messages.js';
import { LocalNode, MessageSink, Peer, PeerCloseInfo } from '../protocol/peer.js';
import { CloseCode, Connection } from '../transport/connection.js';
import { parsePeerUrl, splitPeerKey } from './peer-url.js';
import { admitInbound } from './inbound-admission.js';
import { addressClass, formatIp, netgroup, parseIp } from './net-address.js';
import { OutboundDialer } from './outbound-dialer.js';
import { SelfAddress } from './self-address.js';

export const DEFAULT_MAX_OUTBOUND = 8;
export const DEFAULT_MAX_INBOUND = 32;
export const DEFAULT_REFRESH_INTERVAL_MS = 10_000;
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_MISSED_PINGS = 3;
/** Established inbound peers from one non-loopback IP (a loopback IP is many local nodes: only eviction applies). */
export const DEFAULT_MAX_INBOUND_PER_IP = 4;
/** Established inbound peers from one public netgroup (IPv4 /16, IPv6 /32). */
export const DEFAULT_MAX_INBOUND_PER_NETGROUP = 8;

/** Coalesces bursts of "try dialling now" (new addresses learnt) into one pass. */
const KICK_DELAY_MS = 20;
/** Close reasons after which a failed outbound handshake does not count against the address. */
const NOT_THE_ADDRESS_FAULT = new Set(['duplicate-connection', 'self-connection', 'shutdown', 'peer-filtered', 'network-disabled']);
/** Cap on the test-only deny list (setPeerFilter): far above any local testnet. */
export const MAX_DENIED_PEERS = 1024;

export interface PeerManagerOptions {
  book: AddrBook;
  local: LocalNode;
  clock: () => number;
  random: () => number;
  randomBytes: (n: number) => Uint8Array;
  log: Log;
  sink: MessageSink;
  addrs: AddrExchange;
  seeds: string[];
  maxOutbound: number;
  maxInbound: number;
  refreshIntervalMs: number;
  handshakeTimeoutMs: number;
  dialTimeoutMs: number;
  banDurationMs: number;
  maxMissedPings: number;
  maxQueuedBytes?: number;
  maxInboundPerIp?: number;
  maxInboundPerNetgroup?: number;
  /** Where we announce ourselves (--external-address); else an address SELF_ADDRESS_QUORUM outbound peers agree on. */
  externalAddress?: { host: string; port: number };
}

type ManagerEvents = {
  established: [peer: Peer];
  closed: [peer: Peer, info: PeerCloseInfo];
  banned: [info: { nodeId: string; reason: string }];
  /** After each refresh pass (ping, getaddr, dial). */
  tick: [];
};

export class PeerManager extends EventEmitter<ManagerEvents> {
  private readonly all = new Set<Peer>();
  /**
   * Established peers by "nodeId/direction": at most one connection per node and direction. An inbound and
   * an outbound connection to the same node may coexist (as in Bitcoin Core, where a node that dialled us is
   * still a candidate for our own outbound slots): otherwise whoever dials first decides both nodes' choice
   * of outbound peers, and in a small network the last node to dial finds every other node already inbound.
   */
  private readonly byNodeId = new Map<string, Peer>();
  /** Picks addresses and seeds to dial, and dials them. */
  private readonly dialer: OutboundDialer;
  private timer: NodeJS.Timeout | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Where other nodes can dial us: --external-address, or what our outbound peers agree they see. */
  private readonly self: SelfAddress;
  /** Test-only partition (setPeerFilter): nodeIds refused in both directions. Capped at MAX_DENIED_PEERS. */
  private denied = new Set<string>();
  /** setNetworkActive(false): no connections in or out until turned back on. */
  private active = true;

  constructor(private readonly o: PeerManagerOptions) {
    super();
    this.self = new SelfAddress(o.externalAddress);
    this.dialer = new OutboundDialer({
      book: o.book,
      clock: o.clock,
      log: o.log,
      seeds: o.seeds,
      maxOutbound: o.maxOutbound,
      dialTimeoutMs: o.dialTimeoutMs,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      connections: () => this.all,
      countOutbound: () => this.countEstablished('outbound'),
      isStopped: () => this.stopped,
      isActive: () => this.active,
      onConnection: (conn, key) => this.addPeer(conn, key),
    });
  }

  /** Our own "host:port" listening keys, never dialled. */
  addSelfKeys(keys: string[]): void {
    for (const k of keys) this.dialer.addSelfKey(k);
  }

  /** Starts the refresh timer and the first dialling pass (known addresses first, seeds if needed). */
  start(): void {
    this.timer = setInterval(() => this.tick(), this.o.refreshIntervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Closes every connection with 'shutdown' and waits until all are gone and their queues are idle. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.kickTimer);
    this.dialer.abort();
    const peers = [...this.all];
    for (const p of peers) p.disconnect('shutdown', CloseCode.goingAway);
    await this.dialer.settled();
    await Promise.all(peers.map((p) => p.conn.closed));
    await Promise.all(peers.map((p) => p.drained()));
  }

  /** Established peers. */
  established(): Peer[] {
    return [...this.byNodeId.values()];
  }

  /** Every connection, established or still in the handshake. */
  connections(): Peer[] {
    return [...this.all];
  }

  /** Takes an inbound connection from the listener. */
  accept(conn: Connection): void {
    if (this.stopped || !this.active) {
      conn.close(this.stopped ? 'shutdown' : 'network-disabled', CloseCode.goingAway);
      conn.start();
      return;
    }
    this.addPeer(conn, undefined);
  }

  /**
   * Dials `url` now and resolves once the handshake completed; an established peer already known at
   * that address is returned as is.
   * @throws NodeError INVALID_ARGUMENT for a bad URL; TIMEOUT / ABORTED when the dial or handshake fails
   *   (the message says why, e.g. `duplicate-connection`, `wrong-genesis`, `self-connection`).
   */
  async connect(url: string): Promise<Peer> {
    const { key } = parsePeerUrl(url);
    if (!this.active) throw new NodeError('ABORTED', 'network is disabled (setNetworkActive false)');
    const existing = this.established().find((p) => p.listenKey === key);
    if (existing) return existing;
    const conn = await this.dialer.dialNow(key, url);
    if (!conn) throw new NodeError('ABORTED', `dial ${url} failed`);
    const peer = this.addPeer(conn, key);
    return new Promise<Peer>((resolve, reject) => {
      const onClose = (info: PeerCloseInfo) => {
        // Lost a race with a connection the other side dialled at the same time: that one is the answer.
        const winner = info.reason === 'duplicate-connection' ? this.established().find((p) => p.listenKey === key) : undefined;
        if (winner) resolve(winner);
        else reject(new NodeError('ABORTED', `connection to ${url} closed before the handshake completed: ${info.reason}`));
      };
      peer.once('close', onClose);
      peer.once('established', () => {
        // The manager's own listener ran first and may have closed a duplicate: then 'close' rejects.
        if (!peer.conn.isOpen) return;
        peer.off('close', onClose);
        resolve(peer);
      });
    });
  }

  /**
   * Bans `nodeId` (persisted by the PeerTable) and drops its connections; a connected peer at a
   * non-loopback IP also gets that IP discouraged (new ids are free, IPs are not). On loopback only the id:
   * 127.0.0.1 is every local node.
   */
  ban(nodeId: string, reason: string, durationMs = this.o.banDurationMs): void {
    this.o.book.ban(nodeId, reason, durationMs);
    for (const p of this.all) {
      const cls = addressClass(p.host);
      if (p.nodeIdHex === nodeId && cls !== undefined && cls !== 'loopback') this.o.book.ban(formatIp(parseIp(p.host)!), reason, durationMs);
    }
    this.o.log.warn({ nodeId, reason, durationMs }, 'peer banned');
    this.emit('banned', { nodeId, reason });
    for (const p of this.all) if (p.nodeIdHex === nodeId) p.disconnect(reason, CloseCode.policyViolation);
  }

  /**
   * Refuses `nodeIds` from now on (inbound and outbound, after their hello) and drops them now.
   * Replaces the previous list; [] heals the partition.
   * @throws NodeError INVALID_ARGUMENT for more than MAX_DENIED_PEERS ids.
   */
  setDenied(nodeIds: string[]): void {
    if (nodeIds.length > MAX_DENIED_PEERS) throw new NodeError('INVALID_ARGUMENT', `"deny" expected <= ${MAX_DENIED_PEERS} node ids, got ${nodeIds.length}`);
    this.denied = new Set(nodeIds);
    for (const p of this.all) if (p.nodeIdHex && this.denied.has(p.nodeIdHex)) p.disconnect('peer-filtered');
    if (this.denied.size === 0) this.kick();
  }

  deniedPeers(): string[] {
    return [...this.denied];
  }

  /** Bitcoin Core's setnetworkactive: off drops every connection and refuses new ones, on dials again. */
  setActive(on: boolean): void {
    this.active = on;
    if (!on) for (const p of this.all) p.disconnect('network-disabled');
    else this.kick();
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Schedules a dialling pass soon (coalesced). */
  kick(): void {
    if (this.stopped || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      this.dialer.fill();
    }, KICK_DELAY_MS);
    this.kickTimer.unref();
  }

  // ---- lifecycle of one peer ----

  private addPeer(conn: Connection, dialKey: string | undefined): Peer {
    const peer = new Peer(conn, {
      local: this.o.local,
      clock: this.o.clock,
      randomBytes: this.o.randomBytes,
      log: this.o.log,
      sink: this.o.sink,
      admit: (p, hello) => this.admit(p, hello),
      dialKey,
      ...(this.o.maxQueuedBytes !== undefined ? { maxQueuedBytes: this.o.maxQueuedBytes } : {}),
    });
    this.all.add(peer);
    peer.on('established', () => this.onEstablished(peer));
    peer.on('ban', (reason) => this.ban(peer.nodeIdHex!, reason));
    peer.on('self-connection', () => this.onSelfConnection(peer));
    peer.on('close', (info) => this.onClose(peer, info));
    peer.start();
    return peer;
  }

  /**
   * Veto (a reason) or admission (undefined) for a peer whose hello passed checkHello. The nodeId is
   * not proven yet, so nothing here may hurt another connection: a claimed id that is banned, or that
   * is already connected in the same direction, just refuses this one. Crossed dials are settled in
   * onEstablished, once both identities are proven.
   */
  private admit(peer: Peer, hello: HelloMessage): string | undefined {
    const id = peer.nodeIdHex!;
    if (this.stopped) return 'shutdown';
    if (this.o.book.isBanned(id)) return 'banned';
    if (!this.active) return 'network-disabled';
    if (this.denied.has(id)) return 'peer-filtered';
    if (peer.direction === 'inbound' && this.o.book.isBanned(peer.host)) return 'banned';
    if (this.byNodeId.has(slot(id, peer.direction))) return 'duplicate-connection';
    if (peer.direction === 'inbound') {
      const veto = this.admitInbound(peer);
      if (veto) return veto;
    }
    if (hello.listenPort > 0 && peer.direction === 'inbound') peer.listenKey = peerKey({ host: peer.host, port: hello.listenPort });
    // An address ban (setBan host:port) covers the address the peer listens on or was dialled at.
    const addr = peer.listenKey ?? peer.dialKey;
    if (addr && this.o.book.isBanned(addr)) return 'banned';
    return undefined;
  }

  private admitInbound(peer: Peer): string | undefined {
    const inbound = [...this.byNodeId.values()].filter((p) => p.direction === 'inbound');
    const limits = {
      maxInbound: this.o.maxInbound,
      maxPerIp: this.o.maxInboundPerIp ?? DEFAULT_MAX_INBOUND_PER_IP,
      maxPerNetgroup: this.o.maxInboundPerNetgroup ?? DEFAULT_MAX_INBOUND_PER_NETGROUP,
    };
    const a = admitInbound(peer.host, inbound, limits, this.o.random);
    if (!a.ok) return a.reason;
    if (a.evict) {
      this.o.log.info({ evicted: a.evict.label, for: peer.label }, 'inbound slots full: evicting a peer');
      a.evict.disconnect('evicted');
    }
    return undefined;
  }

  private onEstablished(peer: Peer): void {
    const id = peer.nodeIdHex!;
    // A second connection to one node in the same direction: the newer goes (the other direction is fine).
    if (this.byNodeId.has(slot(id, peer.direction))) {
      peer.disconnect('duplicate-connection');
      return;
    }
    this.byNodeId.set(slot(id, peer.direction), peer);
    const now = this.o.clock();
    if (peer.listenKey) {
      const addr = splitPeerKey(peer.listenKey);
      if (peer.direction === 'outbound') {
        // Our own dial reached this id at this address: the only thing that verifies an entry.
        const r = this.o.book.markSuccess(addr, id, now);
        if (r.ok) this.o.book.setConnected(peer.listenKey, true);
        const adopted = this.self.note(peer.hello!.observedIp, id);
        if (adopted) this.o.log.info({ address: adopted }, 'adopted our address as seen by peers');
      } else {
        // An inbound peer's listening address is a claim (anyone can send any port): new and unverified,
        // under the peer's per-source and source-group caps, until our own dial proves it.
        const r = this.o.book.add({ host: addr.host, port: addr.port, nodeId: id }, id, now, netgroup(peer.host));
        if (r.ok && r.isNew) this.o.addrs.advertise({ host: addr.host, port: addr.port, nodeId: peer.hello!.nodeId, lastSeen: now }, peer);
        if (r.ok) this.o.addrs.onLearnedAddress();
      }
    }
    if (peer.dialKey) {
      this.dialer.succeeded(peer.dialKey);
      this.o.addrs.request(peer);
      const self = this.self.announced(this.o.local.listenPort());
      if (self) this.o.addrs.announceSelf(peer, { ...self, nodeId: this.o.local.nodeId, lastSeen: now });
    }
    this.o.log.info({ peer: peer.label, direction: peer.direction, height: peer.bestHeight }, 'peer connected');
    this.emit('established', peer);
  }

  /** IPs a peer's hello.observed may name for us besides our socket's own address. */
  externalIps(): Uint8Array[] {
    return this.self.ips();
  }

  private onSelfConnection(peer: Peer): void {
    if (!peer.dialKey) return;
    this.dialer.addSelfKey(peer.dialKey);
    this.o.book.setSelf(undefined, [splitPeerKey(peer.dialKey)]);
  }

  private onClose(peer: Peer, info: PeerCloseInfo): void {
    this.all.delete(peer);
    const wasEstablished = peer.nodeIdHex !== undefined && this.byNodeId.get(slot(peer.nodeIdHex, peer.direction)) === peer;
    if (wasEstablished) this.byNodeId.delete(slot(peer.nodeIdHex!, peer.direction));
    if (peer.listenKey && wasEstablished && peer.direction === 'outbound') this.o.book.setConnected(peer.listenKey, false);
    if (peer.dialKey && !wasEstablished && !this.stopped && !NOT_THE_ADDRESS_FAULT.has(info.reason)) this.dialer.recordFailure(peer.dialKey);
    const log = wasEstablished ? this.o.log.info.bind(this.o.log) : this.o.log.debug.bind(this.o.log);
    log({ peer: peer.label, reason: info.reason, code: info.code, byUs: info.byUs }, 'peer disconnected');
    this.emit('closed', peer, info);
  }

  // ---- refresh ----

  private tick(): void {
    if (this.stopped) return;
    for (const p of this.established()) if (!p.pingTick(this.o.maxMissedPings)) p.disconnect('ping-timeout');
    const peers = this.established();
    if (peers.length > 0 && this.countEstablished('outbound') < this.o.maxOutbound)
      this.o.addrs.request(peers[Math.floor(this.o.random() * peers.length)]!);
    this.dialer.fill();
    this.emit('tick');
  }

  private countEstablished(direction: 'inbound' | 'outbound'): number {
    let n = 0;
    for (const p of this.byNodeId.values()) if (p.direction === direction) n++;
    return n;
  }
}

function slot(nodeId: string, direction: 'inbound' | 'outbound'): string {
  return `${nodeId}/${direction}`;
}
