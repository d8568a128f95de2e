/**
 * Block synchronisation in the manner of Bitcoin Core before headers-first (getblocks / inv), with one
 * sync peer at a time so blocks arrive in height order:
 *   - a peer that claims more work than our tip (hello.bestWork, or blocks it sent) becomes the sync
 *     peer; we send it `getblocks(our locator)`;
 *   - it answers with an `inv` of up to 500 main-chain hashes after the fork point; relay.ts fetches
 *     the bodies (bounded in flight) and the chain validates them as they come;
 *   - when the whole batch is processed: a full batch (500) means there is more, so we ask again with
 *     a locator starting at the batch's last hash (which works even while that branch is still lighter
 *     than ours and our tip has not moved); a shorter batch ends the round unless our tip advanced and
 *     the peer still claims more work;
 *   - an orphan (a block whose parent we lack) from a peer starts a round with that peer (taking over a
 *     round that has made no progress for 2 s);
 *   - a getblocks unanswered for 5 s, or a batch making no progress for 15 s, ends the round.
 * Sync never holds back relay: blocks are announced as they connect, whatever a peer claims.
 * A peer whose round ended without bringing us up to its claimed work is not picked again until our tip
 * changes, and one that left a getblocks unanswered is never picked again on that connection, so a peer
 * lying about its work cannot keep us asking. Forks need nothing special: the chain follows the most
 * work and reorganises by itself.
 *
 * Imports chain (read-only queries) and protocol modules; never the peer manager.
 */
import { Chain, TipChange } from '../../chain/chain.js';
import { toHex } from '../../core/bytes.js';
import { Log } from '../../log.js';
import { MAX_GETBLOCKS_REPLY, MAX_LOCATOR, MessageOf } from './messages.js';
import { Peer } from './peer.js';
import { sendInv } from './relay.js';

/** A sync peer whose batch makes no progress (no block processed) for this long is given up. */
export const DEFAULT_SYNC_STALL_MS = 15_000;
/** A getblocks not answered within this time ends the round (an honest answer is immediate). */
export const DEFAULT_GETBLOCKS_TIMEOUT_MS = 5_000;
/** An orphan from another peer takes over a round that has made no progress for this long. */
export const ORPHAN_TAKEOVER_MS = 2_000;
/** How often stalls are checked. */
const CHECK_INTERVAL_MS = 1_000;
/** At most one progress line per this interval. */
const PROGRESS_LOG_MS = 5_000;

export interface SyncOptions {
  chain: Chain;
  peers: () => Iterable<Peer>;
  clock: () => number;
  log: Log;
  stallMs?: number;
  getblocksTimeoutMs?: number;
}

interface Round {
  peer: Peer;
  /** A getblocks is outstanding. */
  awaiting: boolean;
  /** Hashes of the current batch not yet processed. */
  batch: Set<string>;
  full: boolean;
  lastHash: Uint8Array | undefined;
  /** Our tip's work when the last getblocks was sent: progress check for a short batch. */
  workAtRequest: bigint;
  /** Blocks of the current batch the chain stored (on any branch): a batch that stores none ends the round. */
  stored: number;
  lastProgress: number;
}

export class Sync {
  private round: Round | undefined;
  /** Peer -> our tip work when its last round ended short of its claim: not picked again at that work. */
  private readonly exhausted = new WeakMap<Peer, bigint>();
  /** Peers that left a getblocks unanswered (an honest peer always answers, if only with an empty inv). */
  private readonly unresponsive = new WeakSet<Peer>();
  private readonly stallMs: number;
  private readonly getblocksTimeoutMs: number;
  private progress = { at: 0, height: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: SyncOptions) {
    this.stallMs = o.stallMs ?? DEFAULT_SYNC_STALL_MS;
    this.getblocksTimeoutMs = o.getblocksTimeoutMs ?? DEFAULT_GETBLOCKS_TIMEOUT_MS;
    this.progress = { at: o.clock(), height: o.chain.height };
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** True while a peer claims more work than ours and we are downloading from it. */
  syncing(): boolean {
    return this.round !== undefined && this.round.peer.bestWork > this.o.chain.tip.work;
  }

  get syncPeer(): Peer | undefined {
    return this.round?.peer;
  }

  /** Starts a round with the peer claiming the most work, if any claims more than our tip. */
  maybeStart(): void {
    if (this.round) return;
    const ours = this.o.chain.tip.work;
    let best: Peer | undefined;
    for (const p of this.o.peers()) {
      if (p.bestWork <= ours || this.exhausted.get(p) === ours || this.unresponsive.has(p)) continue;
      if (!best || p.bestWork > best.bestWork) best = p;
    }
    if (best) this.begin(best);
  }

  /**
   * An orphan from `peer` proves it has blocks we lack: sync from it, unless a round is running and
   * progressing. A round that has made no progress for ORPHAN_TAKEOVER_MS gives way, so a peer that
   * claims work it never delivers cannot keep us from following the peers that do.
   */
  onOrphan(peer: Peer): void {
    if (!peer.isEstablished) return;
    const r = this.round;
    if (r) {
      if (r.peer === peer || this.o.clock() - r.lastProgress < ORPHAN_TAKEOVER_MS) return;
      this.end(`superseded by ${peer.label}, which sent an orphan`);
    }
    this.begin(peer);
  }

  /** Answers a getblocks: the hashes after the fork point on our main chain, at most 500. */
  handleGetBlocks(peer: Peer, msg: MessageOf<'getblocks'>): void {
    const hashes = this.o.chain.mainHashesAfter(msg.locator, MAX_GETBLOCKS_REPLY, msg.stopHash ?? undefined);
    // An empty inv is the "you are up to date" answer, so it is sent too.
    if (hashes.length === 0) peer.send({ type: 'inv', items: [] });
    else sendInv(peer, 'inv', hashes.map((hash) => ({ kind: 'block' as const, hash })));
  }

  /**
   * Block hashes in an inv from `peer`. While a getblocks to it is outstanding, the first inv with block
   * items (or an empty inv) is its answer. Returns nothing: relay.ts fetches the bodies either way.
   */
  onBlockInv(peer: Peer, hashes: Uint8Array[], isEmptyInv: boolean): void {
    const r = this.round;
    if (!r || r.peer !== peer || !r.awaiting || (hashes.length === 0 && !isEmptyInv)) return;
    r.awaiting = false;
    r.lastProgress = this.o.clock();
    r.full = hashes.length >= MAX_GETBLOCKS_REPLY;
    r.lastHash = hashes[hashes.length - 1];
    r.batch = new Set(hashes.filter((h) => !this.o.chain.hasBlock(h)).map(toHex));
    r.stored = hashes.length - r.batch.size;
    if (hashes.length === 0) return this.finish('peer has nothing after our locator');
    if (r.batch.size === 0) this.next();
  }

  /** A block of the batch was processed (`stored`: the chain accepted it on some branch), or abandoned. */
  onBlockDone(hashHex: string, stored: boolean): void {
    const r = this.round;
    if (!r || !r.batch.delete(hashHex)) return;
    if (stored) r.stored++;
    r.lastProgress = this.o.clock();
    if (r.batch.size === 0 && !r.awaiting) this.next();
  }

  onPeerClosed(peer: Peer): void {
    if (this.round?.peer !== peer) return;
    this.round = undefined;
    this.maybeStart();
  }

  /** Periodic: gives up a round whose peer does not answer or deliver, starts one if a peer is ahead. */
  tick(): void {
    const r = this.round;
    const idle = r ? this.o.clock() - r.lastProgress : 0;
    if (r && r.awaiting && idle > this.getblocksTimeoutMs) {
      this.unresponsive.add(r.peer);
      this.finish('getblocks not answered');
    }
    else if (r && idle > this.stallMs) this.finish(`stalled with ${r.batch.size} blocks outstanding`);
    else this.maybeStart();
  }

  /** Logs progress at most every few seconds while syncing. */
  onTip(change: TipChange): void {
    const now = this.o.clock();
    const r = this.round;
    if (!r || now - this.progress.at < PROGRESS_LOG_MS) return;
    const secs = (now - this.progress.at) / 1000;
    const rate = (change.tip.height - this.progress.height) / secs;
    this.o.log.info(
      { height: change.tip.height, peerHeight: Math.max(r.peer.bestHeight, change.tip.height), blocksPerSec: Math.round(rate * 10) / 10, peer: r.peer.label },
      'syncing',
    );
    this.progress = { at: now, height: change.tip.height };
  }

  private begin(peer: Peer): void {
    this.round = {
      peer,
      awaiting: false,
      batch: new Set(),
      full: false,
      lastHash: undefined,
      workAtRequest: this.o.chain.tip.work,
      stored: 0,
      lastProgress: this.o.clock(),
    };
    this.progress = { at: this.o.clock(), height: this.o.chain.height };
    this.o.log.info({ peer: peer.label, ourHeight: this.o.chain.height, peerHeight: peer.bestHeight }, 'sync started');
    this.request(this.o.chain.locator());
  }

  private request(locator: Uint8Array[]): void {
    const r = this.round!;
    r.awaiting = true;
    r.workAtRequest = this.o.chain.tip.work;
    r.lastProgress = this.o.clock();
    r.peer.send({ type: 'getblocks', locator, stopHash: null });
  }

  /** The batch is done: ask for more, or end the round. */
  private next(): void {
    const r = this.round!;
    const tip = this.o.chain.tip;
    // A full batch of which nothing could be stored (notfound, invalid) is not worth continuing.
    if (r.full && r.lastHash && r.stored > 0) return this.request(continueLocator(r.lastHash, this.o.chain.locator()));
    if (r.peer.bestWork > tip.work && tip.work > r.workAtRequest) return this.request(this.o.chain.locator());
    this.finish(r.peer.bestWork > tip.work ? 'peer claims more work than it delivered' : 'caught up');
  }

  /** Ends the round and starts the next one if another peer is ahead. */
  private finish(why: string): void {
    this.end(why);
    this.maybeStart();
  }

  private end(why: string): void {
    const r = this.round!;
    const tip = this.o.chain.tip;
    this.round = undefined;
    if (r.peer.bestWork > tip.work) this.exhausted.set(r.peer, tip.work);
    this.o.log.info({ peer: r.peer.label, height: tip.height, why }, 'sync round ended');
  }
}

/** [last hash of the previous batch, ...our locator], trimmed to MAX_LOCATOR keeping genesis last. */
export function continueLocator(lastHash: Uint8Array, ours: Uint8Array[]): Uint8Array[] {
  const out = [lastHash, ...ours];
  if (out.length > MAX_LOCATOR) out.splice(MAX_LOCATOR - 1, out.length - MAX_LOCATOR);
  return out;
}
