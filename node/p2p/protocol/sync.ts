/**
 * Headers-first synchronisation, the design Bitcoin Core has used since 0.10 (docs/protocol.md "Sync"):
 *   - every peer is asked `getheaders(locator of our best header)` once established, and again whenever
 *     it announces a block whose header we lack or sends a block whose parent we do not know; a full
 *     answer (MAX_HEADERS) is followed by the next getheaders from its last header;
 *   - the chain admits headers only if they connect, carry proof of work at the expected target and
 *     pass the time rules, and keeps a header chain only if it is not lighter than our tip (chain.ts);
 *   - bodies are downloaded only towards the best header, and only when it has more work than our tip
 *     (and at least the chain definition's minimumChainWork): the missing blocks in a moving window of
 *     DOWNLOAD_WINDOW heights above the fork point, at most BLOCKS_IN_FLIGHT_PER_PEER from each peer
 *     whose headers show it has them, so several peers serve in parallel. Bodies that arrive out of
 *     order wait in the chain's pending pool;
 *   - a request not answered in time (relay.ts's fetch timeout) costs the peer a stall strike and the
 *     block goes to another peer; MAX_STALLS strikes disconnect it.
 * A peer leaves the round (is not asked for headers again on this connection, except when it announces a
 * block we do not know) when solicited answers bring no progress twice (a full batch of nothing new, or
 * nothing new while it claims more work than it shows), or are too light to keep; a peer that leaves a getheaders unanswered while
 * claiming more work than we know is disconnected. Nothing a peer claims (hello.bestWork) holds back
 * anything: the only thing that moves us is headers with real proof of work.
 *
 * Imports chain (queries and header admission), relay (to fetch) and protocol modules; never the peer manager.
 */
import { Chain, TipChange } from '../../chain/chain.js';
import { IndexNode } from '../../chain/block-index.js';
import { BlockStatus } from '../../storage/ledger-encoding.js';
import { Log } from '../../log.js';
import { MAX_GETBLOCKS_REPLY, MAX_HEADERS, MessageOf } from './messages.js';
import { PENALTIES } from './misbehavior.js';
import { Peer } from './peer.js';
import { Relay, sendInv } from './relay.js';

/** Heights above the fork point (with our tip) whose bodies may be requested at once. */
export const DOWNLOAD_WINDOW = 1024;
/** Block requests outstanding per peer. */
export const BLOCKS_IN_FLIGHT_PER_PEER = 16;
/** Free slots a peer with blocks in flight must have before it is sent more requests. */
export const REQUEST_BATCH_MIN = BLOCKS_IN_FLIGHT_PER_PEER / 2;
/** A getheaders not answered within this time: the peer is given up (disconnected if it claims more work). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 5_000;
/** Block requests a peer may leave unanswered (timed out) before it is disconnected. */
export const MAX_STALLS = 2;
/** Solicited answers that bring no new header before a peer leaves the round. */
const MAX_USELESS_ANSWERS = 2;
/** Every this many non-connecting headers/blocks cost 'unconnecting-headers' (Core: MAX_NUM_UNCONNECTING_HEADERS_MSGS). */
const UNCONNECTING_PER_PENALTY = 10;
const CHECK_INTERVAL_MS = 1_000;
const PROGRESS_LOG_MS = 5_000;

export interface SyncOptions {
  chain: Chain;
  relay: Relay;
  peers: () => Iterable<Peer>;
  clock: () => number;
  log: Log;
  headersTimeoutMs?: number;
}

interface PeerSync {
  /** The most-work header this peer has shown us it has (sent, announced, or served). */
  best: IndexNode | undefined;
  /** When our outstanding getheaders was sent. */
  askedAt: number | undefined;
  useless: number;
  unconnecting: number;
  stalls: number;
  /** Left the round: never asked for headers again on this connection. */
  out: boolean;
}

export interface SyncProgress {
  height: number;
  headerHeight: number;
  blocksPerSec: number;
  /** Seconds to reach the best header at the current rate; null when unknown or done. */
  etaSec: number | null;
}

export class Sync {
  private readonly state = new Map<Peer, PeerSync>();
  private readonly headersTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** The best header's chain by height, rebuilt only when the best header changes branch. */
  private path: IndexNode[] = [];
  private rate = { at: 0, height: 0, perSec: 0 };
  private lastLog = 0;

  constructor(private readonly o: SyncOptions) {
    this.headersTimeoutMs = o.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    this.rate = { at: o.clock(), height: o.chain.height, perSec: 0 };
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** True while a header chain with more work than our tip is known, or a peer we asked may bring one. */
  syncing(): boolean {
    const tip = this.o.chain.tip;
    if (this.o.chain.bestHeader.work > tip.work) return true;
    for (const [p, s] of this.state) if (s.askedAt !== undefined && p.bestWork > tip.work) return true;
    return false;
  }

  progress(): SyncProgress {
    const height = this.o.chain.height;
    const headerHeight = Math.max(height, this.o.chain.bestHeader.height);
    const left = headerHeight - height;
    const perSec = Math.round(this.rate.perSec * 10) / 10;
    return { height, headerHeight, blocksPerSec: perSec, etaSec: left > 0 && perSec > 0 ? Math.ceil(left / perSec) : left > 0 ? null : 0 };
  }

  onPeerEstablished(peer: Peer): void {
    this.state.set(peer, { best: undefined, askedAt: undefined, useless: 0, unconnecting: 0, stalls: 0, out: false });
    this.askHeaders(peer);
  }

  onPeerClosed(peer: Peer): void {
    this.state.delete(peer);
    this.pump();
  }

  // ---- serving ----

  /** Answers a getheaders: our main chain's headers after the locator's fork point, at most MAX_HEADERS. */
  handleGetHeaders(peer: Peer, msg: MessageOf<'getheaders'>): void {
    peer.send({ type: 'headers', headers: this.o.chain.mainHeadersAfter(msg.locator, MAX_HEADERS, msg.stopHash ?? undefined) });
  }

  /** Answers a (protocol v1) getblocks: the main-chain hashes after the fork point, at most 500. */
  handleGetBlocks(peer: Peer, msg: MessageOf<'getblocks'>): void {
    const hashes = this.o.chain.mainHashesAfter(msg.locator, MAX_GETBLOCKS_REPLY, msg.stopHash ?? undefined);
    if (hashes.length === 0) peer.send({ type: 'inv', items: [] });
    else sendInv(peer, 'inv', hashes.map((hash) => ({ kind: 'block' as const, hash })));
  }

  // ---- requesting ----

  /** A `headers` message from `peer`. */
  handleHeaders(peer: Peer, msg: MessageOf<'headers'>): void {
    const s = this.stateOf(peer);
    if (!s) return;
    const solicited = s.askedAt !== undefined;
    s.askedAt = undefined;
    if (msg.headers.length === 0) {
      // "Nothing after your locator": fine, unless it claimed more work than it can show.
      if (solicited && peer.bestWork > this.o.chain.bestHeader.work) this.leaveRound(peer, s, 'claims more work than its headers show');
      return;
    }
    const r = this.o.chain.acceptHeaders(msg.headers);
    if (!r.ok) {
      if (r.class === 'missing-parent') this.unconnecting(peer, s);
      else if (r.class === 'consensus') peer.misbehave(r.reason, PENALTIES['bad-header'], `headers(${msg.headers.length})`);
      else if (r.reason === 'low-work-headers') {
        if (solicited) this.leaveRound(peer, s, 'its header chain is too light');
        else peer.misbehave('low-work-headers', PENALTIES['low-work-headers'], r.detail);
      }
      return;
    }
    s.unconnecting = 0;
    this.noteHas(peer, s, r.value.last);
    // No progress: a full batch of nothing new, or nothing new from a peer that claims more than it shows.
    // (An honest peer often answers with headers another peer already brought: that is not counted.)
    const noProgress = r.value.added === 0 && (msg.headers.length === MAX_HEADERS || peer.bestWork > this.o.chain.bestHeader.work);
    if (solicited && noProgress && ++s.useless >= MAX_USELESS_ANSWERS) this.leaveRound(peer, s, 'answers bring no new headers');
    else if (r.value.added > 0) s.useless = 0;
    // A full answer means there is more after its last header.
    if (msg.headers.length === MAX_HEADERS && !s.out) this.askHeaders(peer, r.value.last);
    this.pump();
  }

  /** Block hashes announced by `peer` (inv). Unknown ones are learnt through getheaders, never fetched blind. */
  onBlockInv(peer: Peer, hashes: Uint8Array[]): void {
    const s = this.stateOf(peer);
    if (!s || hashes.length === 0) return;
    let unknown = false;
    for (const h of hashes) {
      const node = this.o.chain.getNode(h);
      if (node) this.noteHas(peer, s, node);
      else unknown = true;
    }
    if (unknown) this.askHeaders(peer, undefined, true);
    this.pump();
  }

  /** A block from `peer` whose parent header we do not know: ask it for headers (never store the block). */
  onUnknownParent(peer: Peer): void {
    const s = this.stateOf(peer);
    if (!s) return;
    this.unconnecting(peer, s);
  }

  /** A body was processed (stored or not): the window moves, slots free up. */
  onBlockDone(_hashHex: string, _stored: boolean, from?: Peer, node?: IndexNode): void {
    const s = from && this.stateOf(from);
    if (s && node) this.noteHas(from!, s, node);
    this.pump();
  }

  /** A block request was given up: a timeout is the asked peer's stall. */
  onBlockAbandoned(hashHex: string, peer: Peer | undefined, why: string): void {
    const s = peer && this.state.get(peer);
    if (s && why === 'timeout' && ++s.stalls >= MAX_STALLS) {
      this.o.log.info({ peer: peer!.label, block: hashHex }, 'block download stalled; dropping the peer');
      peer!.disconnect('block-download-stalled');
    }
    this.pump();
  }

  /** Periodic: headers timeouts, and a pump in case anything was missed. */
  tick(): void {
    const now = this.o.clock();
    for (const [p, s] of this.state) {
      if (s.askedAt === undefined || now - s.askedAt <= this.headersTimeoutMs) continue;
      s.askedAt = undefined;
      if (p.bestWork > this.o.chain.bestHeader.work) {
        this.o.log.info({ peer: p.label }, 'getheaders not answered; dropping the peer');
        p.disconnect('headers-timeout');
      } else this.leaveRound(p, s, 'getheaders not answered');
    }
    this.pump();
  }

  onTip(change: TipChange): void {
    const now = this.o.clock();
    const secs = (now - this.rate.at) / 1000;
    if (secs >= 1) {
      const perSec = (change.tip.height - this.rate.height) / secs;
      this.rate = { at: now, height: change.tip.height, perSec: perSec > 0 ? perSec : 0 };
    }
    if (now - this.lastLog >= PROGRESS_LOG_MS && this.o.chain.bestHeader.height > change.tip.height) {
      this.lastLog = now;
      this.o.log.info({ ...this.progress() }, 'syncing');
    }
    this.pump();
  }

  /**
   * Requests missing bodies, as Core's FindNextBlocksToDownload: for each peer with free slots, towards
   * the best header it has shown us, if that has more work than our tip: the lowest missing heights of
   * the window above the fork point, skipping what is stored, pending, in flight or known invalid.
   */
  pump(): void {
    const chain = this.o.chain;
    const tip = chain.tip;
    const best = chain.bestHeader;
    if (best.work < chain.params.minimumChainWork) return;
    if (best.work > tip.work) this.pathTo(best);
    for (const [p, s] of this.state) {
      const target = s.best;
      if (!p.isEstablished || !target || target.work <= tip.work || target.status !== BlockStatus.Valid) continue;
      const inFlight = this.o.relay.blocksInFlight(p);
      let free = BLOCKS_IN_FLIGHT_PER_PEER - inFlight;
      // Requests go out in batches (one getdata for at least half the slots), not one per block done;
      // a peer with half its slots still busy is asked again when those are answered or time out.
      if (free <= 0 || (inFlight > 0 && free < REQUEST_BATCH_MIN)) continue;
      const path = this.path[target.height] === target ? this.path : this.walk(target, tip.height);
      let fork = Math.min(tip.height, target.height);
      while (fork > 0 && (!path[fork] || !chain.isOnMainChain(path[fork]!.hash))) fork--;
      const hashes: Uint8Array[] = [];
      const end = Math.min(target.height, fork + DOWNLOAD_WINDOW);
      for (let h = fork + 1; h <= end && free > 0; h++) {
        const node = path[h];
        if (!node || node.hasData || node.status !== BlockStatus.Valid || chain.hasBlockHex(node.hex)) continue;
        if (this.o.relay.isBlockInFlight(node.hex) || this.o.relay.rejected.has(node.hex)) continue;
        hashes.push(node.hash);
        free--;
      }
      if (hashes.length > 0) this.o.relay.requestBlocks(p, hashes);
    }
  }

  /** Ancestors of `target` by height down to just below `floor` (a branch other than the best header's). */
  private walk(target: IndexNode, floor: number): IndexNode[] {
    const out: IndexNode[] = [];
    for (let n: IndexNode | undefined = target; n; n = n.parent) {
      out[n.height] = n;
      if (n.height < floor && this.o.chain.isOnMainChain(n.hash)) break;
    }
    return out;
  }

  // ---- helpers ----

  private stateOf(peer: Peer): PeerSync | undefined {
    return peer.isEstablished ? this.state.get(peer) : undefined;
  }

  /**
   * Sends getheaders unless one is outstanding (a continuation `from` a full answer always goes). A peer
   * out of the round is still asked when it announces a block we do not know (`announced`): leaving the
   * round ends the catch-up it claimed, not the following of new blocks.
   */
  private askHeaders(peer: Peer, from?: IndexNode, announced = false): void {
    const s = this.state.get(peer);
    if (!s || (s.out && !announced) || (s.askedAt !== undefined && !from)) return;
    s.askedAt = this.o.clock();
    peer.send({ type: 'getheaders', locator: this.o.chain.locatorFrom(from ?? this.o.chain.bestHeader), stopHash: null });
  }

  private unconnecting(peer: Peer, s: PeerSync): void {
    if (++s.unconnecting % UNCONNECTING_PER_PENALTY === 0) peer.misbehave('unconnecting-headers', PENALTIES['unconnecting-headers'], `${s.unconnecting} so far`);
    this.askHeaders(peer, undefined, true);
  }

  private leaveRound(peer: Peer, s: PeerSync, why: string): void {
    if (s.out) return;
    s.out = true;
    this.o.log.info({ peer: peer.label, why }, 'peer left the sync round');
  }

  private noteHas(peer: Peer, s: PeerSync, node: IndexNode): void {
    if (!s.best || node.work > s.best.work) s.best = node;
    peer.noteBest(node.height, node.work);
  }

  /** path[h] = the best header's ancestor at height h. Extended in place when the best header grew on the same branch. */
  private pathTo(best: IndexNode): IndexNode[] {
    const p = this.path;
    if (p[best.height] === best && p.length === best.height + 1) return p;
    const out: IndexNode[] = p.length > best.height ? p.slice(0, best.height + 1) : p.slice();
    out.length = best.height + 1;
    for (let n: IndexNode | undefined = best; n && out[n.height] !== n; n = n.parent) out[n.height] = n;
    this.path = out;
    return out;
  }
}
