/**
 * Inventory relay, after Bitcoin Core's inv/getdata scheme: announce transaction ids and block hashes
 * with `inv` to every peer not known to have them, and fetch each body we lack exactly once with
 * `getdata`. One global in-flight map says who was asked for what; a request that is not answered in
 * `fetchTimeoutMs` (or answered with notfound, or whose peer left) is re-sent to another peer that
 * announced the same hash, else forgotten until someone announces it again. Block fetches are bounded
 * per peer (MAX_BLOCKS_IN_FLIGHT_PER_PEER) and queued in announcement order, so a sync batch downloads
 * in height order. Bounded caches remember what failed validation (never fetched again) and which
 * transactions were recently processed or confirmed.
 *
 * What to do with a body once it arrives is handlers/bodies.ts; when to ask for block hashes is sync.ts.
 * Imports chain and mempool as values it reads; never the peer manager.
 */
import { Chain } from '../../chain/chain.js';
import { Mempool } from '../../chain/mempool.js';
import { txIdsHexOf } from '../../chain/block-facts.js';
import { Block } from '../../core/block.js';
import { toHex } from '../../core/bytes.js';
import { hexOf } from '../../chain/tx-facts.js';
import { Log } from '../../log.js';
import { BoundedSet } from './bounded-set.js';
import { InvItem, InvKind, MAX_INV } from './messages.js';
import { Peer } from './peer.js';

export const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
export const MAX_BLOCKS_IN_FLIGHT_PER_PEER = 64;
export const MAX_TXS_IN_FLIGHT_PER_PEER = 2_000;
/** Announcers remembered per in-flight hash, to retry from. */
const MAX_ALTERNATES = 8;
/** Block hashes queued for download per peer (a few getblocks replies). */
const MAX_BLOCK_QUEUE = 2_000;
/** Hashes that failed validation; never fetched again. */
const REJECTED_CACHE = 20_000;
/** Transaction ids recently accepted, confirmed or refused for good: an announcement of one is not fetched. */
const RECENT_TX_CACHE = 100_000;
/**
 * Accepted transaction ids are announced together every this many ms: one inv per peer per interval,
 * never one per transaction (a burst of 1,000 admissions costs each peer a handful of messages).
 */
export const TX_INV_INTERVAL_MS = 5;
/** Mempool ids offered to one peer per refresh tick. */
const TRICKLE_MAX = 1_000;

export interface RelayOptions {
  chain: Chain;
  mempool: Mempool;
  /** The established peers. */
  peers: () => Iterable<Peer>;
  clock: () => number;
  log: Log;
  fetchTimeoutMs?: number;
  /** A block request was given up (notfound, timeout, peer gone) without a body: sync asks someone else. */
  onBlockAbandoned?: (hashHex: string, peer: Peer | undefined, why: string) => void;
}

interface Request {
  kind: InvKind;
  hex: string;
  hash: Uint8Array;
  /** Who was asked; undefined for a body that arrived without a request. */
  peer: Peer | undefined;
  requestedAt: number;
  /** A body arrived and is being validated: no timeout, and a second copy is a duplicate. */
  received: boolean;
  alternates: Peer[];
}

interface PeerFetch {
  /** Block hashes to request from this peer, in announcement order. */
  queue: Map<string, Uint8Array>;
  blocksInFlight: number;
  txsInFlight: number;
  /** Hashes we asked this peer for (also after a timeout): its late answer is not "unrequested". */
  asked: BoundedSet;
}

export class Relay {
  readonly rejected = new BoundedSet(REJECTED_CACHE);
  readonly recentTxs = new BoundedSet(RECENT_TX_CACHE);
  private readonly requests: Record<InvKind, Map<string, Request>> = { tx: new Map(), block: new Map() };
  private readonly perPeer = new Map<Peer, PeerFetch>();
  private readonly fetchTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** Transaction ids accepted since the last announcement, announced together in one inv per peer. */
  private pendingTxs: Uint8Array[] = [];
  private flushTxs: NodeJS.Timeout | undefined;

  constructor(private readonly o: RelayOptions) {
    this.fetchTimeoutMs = o.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  }

  start(): void {
    this.timer = setInterval(() => this.checkTimeouts(), Math.max(50, Math.min(1_000, this.fetchTimeoutMs / 2)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.flushTxs);
    this.timer = undefined;
    this.flushTxs = undefined;
    this.pendingTxs = [];
  }

  /** Requests currently outstanding (not yet answered), for stats and tests. */
  get inFlight(): number {
    let n = 0;
    for (const m of Object.values(this.requests)) for (const r of m.values()) if (!r.received) n++;
    return n;
  }

  // ---- announcing ----

  /** Sends `inv` for the hashes each peer is not known to have, and marks them known. */
  announce(kind: InvKind, hashes: Uint8Array[], except?: Peer): void {
    if (hashes.length === 0) return;
    // Made once, at the first peer (none without peers); flat native hex (tx-facts.ts hexOf), since
    // each one keys the peers' known-sets.
    let hexes: string[] | undefined;
    for (const peer of this.o.peers()) {
      if (peer === except) continue;
      hexes ??= hashes.map(hexOf);
      const items: InvItem[] = [];
      hexes.forEach((hex, i) => {
        if (peer.known.has(hex)) return;
        peer.known.add(hex);
        items.push({ kind, hash: hashes[i]! });
      });
      sendInv(peer, 'inv', items);
    }
  }

  /** Announces a newly accepted transaction within TX_INV_INTERVAL_MS, batched with the others. */
  announceTx(id: Uint8Array): void {
    this.pendingTxs.push(id);
    this.flushTxs ??= setTimeout(() => {
      this.flushTxs = undefined;
      const ids = this.pendingTxs;
      this.pendingTxs = [];
      this.announce('tx', ids);
    }, TX_INV_INTERVAL_MS);
  }

  /** Offers the peer mempool transactions it is not known to have (new peers, re-admitted txs after a reorg). */
  trickleMempool(peer: Peer): void {
    const items: InvItem[] = [];
    for (const e of this.o.mempool.entries()) {
      if (items.length >= TRICKLE_MAX) break;
      if (peer.known.has(e.idHex)) continue;
      peer.known.add(e.idHex);
      items.push({ kind: 'tx', hash: e.id });
    }
    sendInv(peer, 'inv', items);
  }

  /** Transactions of newly connected blocks need not be fetched again when someone announces them. */
  noteConfirmed(blocks: Block[]): void {
    for (const b of blocks) for (const id of txIdsHexOf(b)) this.recentTxs.add(id);
  }

  // ---- fetching ----

  /** Requests the transactions we lack from `peer`, which announced them. */
  requestTxs(peer: Peer, hashes: Uint8Array[]): void {
    const f = this.fetchOf(peer);
    const items: InvItem[] = [];
    for (const hash of hashes) {
      const hex = toHex(hash);
      if (this.o.mempool.has(hex) || this.o.mempool.isWaiting(hex) || this.recentTxs.has(hex) || this.rejected.has(hex)) continue;
      const req = this.requests.tx.get(hex);
      if (req) {
        addAlternate(req, peer);
        continue;
      }
      if (f.txsInFlight >= MAX_TXS_IN_FLIGHT_PER_PEER) continue; // announced again later, or by someone else
      this.track('tx', hex, hash, peer);
      items.push({ kind: 'tx', hash });
    }
    sendInv(peer, 'getdata', items);
  }

  /** Queues block hashes announced by `peer` (gossip or a getblocks reply) and requests what fits. */
  queueBlocks(peer: Peer, hashes: Uint8Array[]): void {
    const f = this.fetchOf(peer);
    for (const hash of hashes) {
      const hex = toHex(hash);
      if (this.o.chain.hasBlock(hash) || this.rejected.has(hex)) continue;
      const req = this.requests.block.get(hex);
      if (req) addAlternate(req, peer);
      else if (f.queue.size < MAX_BLOCK_QUEUE) f.queue.set(hex, hash);
    }
    this.pumpBlocks(peer);
  }

  /** Block requests outstanding at `peer`. */
  blocksInFlight(peer: Peer): number {
    return this.perPeer.get(peer)?.blocksInFlight ?? 0;
  }

  /** Whether we asked `peer` for this hash (also after a timeout). */
  wasRequested(peer: Peer, hex: string): boolean {
    return this.perPeer.get(peer)?.asked.has(hex) ?? false;
  }

  /** A request for this block is outstanding or its body is being validated. */
  isBlockInFlight(hex: string): boolean {
    return this.requests.block.has(hex);
  }

  /** Requests these blocks from `peer` now (sync.ts decides who serves what; no queue, no alternates). */
  requestBlocks(peer: Peer, hashes: Uint8Array[]): void {
    const items: InvItem[] = [];
    for (const hash of hashes) {
      const hex = toHex(hash);
      if (this.requests.block.has(hex)) continue;
      this.track('block', hex, hash, peer);
      items.push({ kind: 'block', hash });
    }
    sendInv(peer, 'getdata', items);
  }

  /** Requests queued blocks from `peer` up to its in-flight limit. */
  pumpBlocks(peer: Peer): void {
    const f = this.perPeer.get(peer);
    if (!f || !peer.isEstablished) return;
    const items: InvItem[] = [];
    for (const [hex, hash] of f.queue) {
      if (f.blocksInFlight >= MAX_BLOCKS_IN_FLIGHT_PER_PEER) break;
      f.queue.delete(hex);
      if (this.o.chain.hasBlock(hash) || this.rejected.has(hex)) continue;
      const req = this.requests.block.get(hex);
      if (req) {
        addAlternate(req, peer);
        continue;
      }
      this.track('block', hex, hash, peer);
      items.push({ kind: 'block', hash });
    }
    sendInv(peer, 'getdata', items);
  }

  /**
   * A body arrived from `peer`. 'first': the caller validates it and must call `complete` afterwards.
   * 'duplicate': another copy is already being validated. `requested` says whether we asked this peer.
   */
  claim(peer: Peer, kind: InvKind, hex: string, hash: Uint8Array): { first: boolean; requested: boolean } {
    const requested = this.perPeer.get(peer)?.asked.has(hex) ?? false;
    const req = this.requests[kind].get(hex);
    if (req?.received) return { first: false, requested };
    if (req) {
      this.release(req);
      req.received = true;
    } else {
      this.requests[kind].set(hex, { kind, hex, hash, peer: undefined, requestedAt: this.o.clock(), received: true, alternates: [] });
    }
    return { first: true, requested };
  }

  /** Validation of a claimed body finished (whatever the verdict). */
  complete(kind: InvKind, hex: string): void {
    this.requests[kind].delete(hex);
  }

  /** The peer does not have what we asked for: ask another announcer. */
  onNotFound(peer: Peer, items: InvItem[]): void {
    for (const it of items) {
      const req = this.requests[it.kind].get(toHex(it.hash));
      if (req && !req.received && req.peer === peer) this.retry(req, 'notfound');
    }
  }

  /** A peer left: its outstanding requests go to other announcers. */
  removePeer(peer: Peer): void {
    const f = this.perPeer.get(peer);
    this.perPeer.delete(peer);
    if (!f) return;
    for (const m of Object.values(this.requests))
      for (const req of [...m.values()]) {
        req.alternates = req.alternates.filter((p) => p !== peer);
        if (req.peer === peer && !req.received) this.retry(req, 'peer-gone');
      }
  }

  private fetchOf(peer: Peer): PeerFetch {
    let f = this.perPeer.get(peer);
    if (!f) {
      f = { queue: new Map(), blocksInFlight: 0, txsInFlight: 0, asked: new BoundedSet(MAX_BLOCK_QUEUE + MAX_TXS_IN_FLIGHT_PER_PEER) };
      this.perPeer.set(peer, f);
    }
    return f;
  }

  private track(kind: InvKind, hex: string, hash: Uint8Array, peer: Peer): void {
    const f = this.fetchOf(peer);
    if (kind === 'block') f.blocksInFlight++;
    else f.txsInFlight++;
    f.asked.add(hex);
    const req = this.requests[kind].get(hex);
    if (req) {
      req.peer = peer;
      req.requestedAt = this.o.clock();
      req.alternates = req.alternates.filter((p) => p !== peer);
    } else this.requests[kind].set(hex, { kind, hex, hash, peer, requestedAt: this.o.clock(), received: false, alternates: [] });
  }

  /** Frees the in-flight slot the request holds at its peer. */
  private release(req: Request): void {
    const f = req.peer && this.perPeer.get(req.peer);
    if (f) {
      if (req.kind === 'block') f.blocksInFlight = Math.max(0, f.blocksInFlight - 1);
      else f.txsInFlight = Math.max(0, f.txsInFlight - 1);
    }
    const prev = req.peer;
    req.peer = undefined;
    // A freed block slot lets that peer's queue move on.
    if (prev && req.kind === 'block') queueMicrotask(() => this.pumpBlocks(prev));
  }

  private retry(req: Request, why: string): void {
    const from = req.peer;
    this.release(req);
    let next: Peer | undefined;
    while (req.alternates.length > 0 && !next) {
      const p = req.alternates.shift()!;
      if (p.isEstablished && p !== from) next = p;
    }
    if (!next) {
      this.requests[req.kind].delete(req.hex);
      this.o.log.debug({ kind: req.kind, hash: req.hex, why }, 'fetch abandoned: nobody else announced it');
      if (req.kind === 'block') this.o.onBlockAbandoned?.(req.hex, from, why);
      return;
    }
    this.o.log.debug({ kind: req.kind, hash: req.hex, why, from: from?.label, to: next.label }, 'fetch retried from another peer');
    this.track(req.kind, req.hex, req.hash, next);
    sendInv(next, 'getdata', [{ kind: req.kind, hash: req.hash }]);
  }

  private checkTimeouts(): void {
    const now = this.o.clock();
    for (const m of Object.values(this.requests))
      for (const req of [...m.values()]) if (!req.received && req.peer && now - req.requestedAt > this.fetchTimeoutMs) this.retry(req, 'timeout');
  }
}

function addAlternate(req: Request, peer: Peer): void {
  if (req.peer !== peer && !req.alternates.includes(peer) && req.alternates.length < MAX_ALTERNATES) req.alternates.push(peer);
}

/** Sends inv / getdata / notfound in chunks of at most MAX_INV items. */
export function sendInv(peer: Peer, type: 'inv' | 'getdata' | 'notfound', items: InvItem[]): void {
  for (let i = 0; i < items.length; i += MAX_INV) peer.send({ type, items: items.slice(i, i + MAX_INV) });
}

