/**
 * OutboundDialer: fills our outbound slots, after Bitcoin Core's ThreadOpenConnections. It picks addresses
 * from the AddrBook (tried ones preferred, backoff after failures, distinct public netgroups), never our
 * own addresses nor a peer we already dialled, and falls back to the seeds only while the known addresses
 * give nothing to try and we are still short: a node that knows the network (its persisted peer database)
 * needs no seed. Failures are recorded for the address and the seed.
 * The PeerManager owns the connections and hands each landed dial to a Peer; this only decides and dials.
 * Imports the address book, dial-tracker, seed-list, peer-url and net-address; never protocol.
 */
import { Log } from '../../log.js';
import { AddrBook, peerKey } from './addr-book.js';
import { Connection } from '../transport/connection.js';
import { DialTracker } from './dial-tracker.js';
import { addressClass, netgroup } from './net-address.js';
import { peerUrl } from './peer-url.js';
import { SeedList } from './seed-list.js';

/** What the dialer reads of a connection. */
export interface OutboundPeerView {
  direction: 'inbound' | 'outbound';
  host: string;
  listenKey?: string | undefined;
  nodeIdHex?: string | undefined;
}

export interface OutboundDialerOptions {
  book: AddrBook;
  clock: () => number;
  log: Log;
  seeds: readonly string[];
  maxOutbound: number;
  dialTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** Every connection, established or still in the handshake. */
  connections: () => Iterable<OutboundPeerView>;
  /** How many outbound peers are established. */
  countOutbound: () => number;
  /** True once the owner is stopping. */
  isStopped: () => boolean;
  /** False while the network is disabled. */
  isActive: () => boolean;
  /** A dial at `key` landed: the owner takes the connection. */
  onConnection: (conn: Connection, key: string) => void;
}

export class OutboundDialer {
  /** Outbound dials in flight. */
  private readonly dialing: DialTracker;
  /** Addresses that turned out to be ourselves (a self-connection). */
  private readonly selfKeys = new Set<string>();
  private readonly seeds: SeedList;

  constructor(private readonly o: OutboundDialerOptions) {
    this.seeds = new SeedList(o.seeds, o.clock, o.log);
    this.dialing = new DialTracker({
      book: o.book,
      log: o.log,
      dialTimeoutMs: o.dialTimeoutMs,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      isStopped: o.isStopped,
      onFailure: (key) => this.recordFailure(key),
    });
  }

  /** Our own "host:port" keys (listening, or found by a self-connection), never dialled. */
  addSelfKey(key: string): void {
    this.selfKeys.add(key);
  }

  /**
   * Dials `url` at `key` now (an operator's addnode), with the same bookkeeping.
   * @throws NodeError ABORTED when stopping; the dial's own error when it fails.
   */
  dialNow(key: string, url: string): Promise<Connection | undefined> {
    return this.dialing.dial(key, url, 'manual');
  }

  /** Dials up to the outbound target: known addresses first, seeds if they gave nothing to try. */
  fill(): void {
    if (this.o.isStopped() || !this.o.isActive()) return;
    let outbound = this.dialing.size;
    for (const p of this.o.connections()) if (p.direction === 'outbound') outbound++;
    const need = this.o.maxOutbound - outbound;
    if (need <= 0) return;
    const ex = this.exclusions();
    const outboundHosts = [...this.o.connections()].filter((p) => p.direction === 'outbound').map((p) => p.host);
    const picks = pickDiverse(this.o.book.select(need * 4, ex), outboundHosts, need);
    for (const e of picks) this.dialAddress(peerKey(e), peerUrl(e), 'addr');
    // Seeds only when the known addresses gave nothing to try and we are still short.
    if (picks.length === 0 && this.dialing.size === 0 && this.o.countOutbound() < this.o.maxOutbound) this.dialSeeds(need);
  }

  /** A handshake with the peer dialled at `key` completed. */
  succeeded(key: string): void {
    this.seeds.succeeded(key);
  }

  /** A dial or handshake at `key` failed: counted against the address (and the seed). */
  recordFailure(key: string): void {
    this.seeds.failed(key);
    this.o.book.markFailure(key);
  }

  /** Aborts every dial in flight. */
  abort(): void {
    this.dialing.abort();
  }

  /** Resolves once every dial in flight has settled. */
  settled(): Promise<void> {
    return this.dialing.settled();
  }

  private dialSeeds(max: number): void {
    const connected = new Set<string>();
    for (const p of this.o.connections()) if (p.listenKey && p.direction === 'outbound') connected.add(p.listenKey);
    const skip = (key: string) => this.dialing.has(key) || connected.has(key) || this.selfKeys.has(key) || this.o.book.isBanned(key);
    this.seeds.dialDue(max, skip, (key, url) => {
      this.o.log.debug({ seed: url }, 'dialling seed');
      this.dialAddress(key, url, 'seed');
    });
  }

  /** Keys and nodeIds not to dial: ourselves, our outbound peers, everything being dialled. */
  private exclusions(): Set<string> {
    const ex = new Set<string>([...this.dialing.keys(), ...this.selfKeys]);
    for (const p of this.o.connections()) {
      if (p.direction !== 'outbound') continue;
      if (p.nodeIdHex) ex.add(p.nodeIdHex);
      if (p.listenKey) ex.add(p.listenKey);
    }
    return ex;
  }

  private dialAddress(key: string, url: string, kind: 'addr' | 'seed'): void {
    void this.dialing.dial(key, url, kind).then((conn) => {
      if (conn) this.o.onConnection(conn, key);
    });
  }
}

/**
 * Up to `need` of `candidates`, in order, keeping outbound peers in distinct public netgroups (Core): one
 * operator's /16 cannot be all our outbound peers. Loopback and private addresses are one machine or one
 * site: no diversity to keep there. `outboundHosts` are the hosts of our outbound connections.
 */
export function pickDiverse<T extends { host: string }>(candidates: readonly T[], outboundHosts: Iterable<string>, need: number): T[] {
  const groups = new Set<string>();
  for (const host of outboundHosts) if (addressClass(host) === 'public') groups.add(netgroup(host));
  return candidates
    .filter((e) => {
      if (addressClass(e.host) !== 'public') return true;
      const g = netgroup(e.host);
      if (groups.has(g)) return false;
      groups.add(g);
      return true;
    })
    .slice(0, need);
}
