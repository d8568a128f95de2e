/**
 * Compact block relay (protocol version 2), BIP-152's high-bandwidth mode:
 *   - each node asks up to MAX_HB_PEERS of its peers with `sendcmpct(1)` to push new blocks to it: at
 *     first the first established that speak version 2 (a slot frees when one leaves), then, as BIP-152
 *     chooses, the last MAX_HB_PEERS peers that delivered a new tip block first (noteNewTipFrom: the
 *     peer that delivered least recently is told `sendcmpct(0)` to make room);
 *   - a block whose header and proof of work check out and that extends our tip is pushed as
 *     `cmpctblock` to every peer that asked, before it is validated and stored (pushEarly); everyone
 *     else gets the usual `inv` once it is connected;
 *   - the receiver rebuilds the block from its mempool (compact.ts). Nothing missing: zero round trips.
 *     Otherwise one `getblocktxn` (indexes) / `blocktxn` round trip. If the short ids are unusable, the
 *     merkle root does not match, or the answer does not come in time: the full block is fetched with
 *     getdata from the same peer.
 * Hostile peers: every collection is capped (MAX_PENDING reconstructions, MAX_RECENT blocks to serve,
 * MAX_AUDITS announcements kept for checking). A getblocktxn with out-of-range or unordered indexes
 * costs 'bad-getblocktxn-indexes' (100); a blocktxn whose transactions do not have the short ids the
 * same peer announced costs 'bad-blocktxn' (100); an announcement whose short ids turn out to differ
 * from the genuine block's (merkle-checked full body) costs 'bad-cmpct-block' (100), as a bad block
 * would. A false match in our own mempool costs nobody anything. A block rebuilt from a compact
 * announcement that then fails validation costs its sender what the same block would cost in a `block`
 * message: unlike BIP-152 (which lets a relayer push blocks it has not validated), a node here pushes
 * before validation only blocks made wholly of transactions its own mempool holds, so an honest node
 * never relays a block with a transaction it has not validated (pushEarly).
 */
import { randomBytes } from 'node:crypto';
import { Block, blockHash } from '../../../core/block.js';
import { CheckedBody } from '../../../core/check-block.js';
import { toHex } from '../../../core/bytes.js';
import { Tx, txId } from '../../../core/tx.js';
import { Candidate, checkReconstructed, makeCmpctBlock, matchesShortIds, reconstruct } from '../compact.js';
import { ProtocolContext } from '../context.js';
import { PROTOCOL_VERSION } from '../handshake.js';
import { CmpctBlockMessage, MAX_BLOCKTXN, MessageOf } from '../messages.js';
import { PENALTIES } from '../misbehavior.js';
import { Peer } from '../peer.js';
import { handleBlock, screenBlockHeader } from './bodies.js';

/** Peers we ask to push blocks to us (BIP-152: at most 3 high-bandwidth peers). */
export const MAX_HB_PEERS = 3;
/** Reconstructions waiting for a blocktxn; the oldest falls back to a full fetch when one more comes. */
export const MAX_PENDING = 8;
/** Blocks we announced compactly, kept to answer getblocktxn before (or without) storing them. */
export const MAX_RECENT = 8;
/** Announcements remembered until their full block shows whether their short ids were honest. */
export const MAX_AUDITS = 32;
/** cmpctblock / getblocktxn / blocktxn appeared in this protocol version. */
export const COMPACT_VERSION = 2;

interface Pending {
  peer: Peer;
  msg: CmpctBlockMessage;
  txs: (Tx | undefined)[];
  ids: (Uint8Array | undefined)[];
  missing: number[];
  timer: NodeJS.Timeout;
}

export interface CompactOptions {
  /** false (--no-compact): never ask for nor send compact blocks. */
  enabled: boolean;
  peers: () => Iterable<Peer>;
  /** Wait for a blocktxn before fetching the full block. */
  blockTxnTimeoutMs: number;
}

export class CompactRelay {
  /** Peers we asked to push to us. */
  private readonly hbOut = new Set<Peer>();
  /** Peers that asked us to push to them. */
  private readonly hbIn = new WeakSet<Peer>();
  private readonly pending = new Map<string, Pending>();
  private readonly recent = new Map<string, Block>();
  private readonly audits = new Map<string, { peer: Peer; msg: CmpctBlockMessage }>();

  constructor(
    private readonly ctx: ProtocolContext,
    private readonly o: CompactOptions,
  ) {}

  stop(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  /** Whether `peer` asked us to push blocks (tests, getPeers). */
  isHighBandwidthTo(peer: Peer): boolean {
    return this.hbIn.has(peer);
  }

  onEstablished(peer: Peer): void {
    if (!this.o.enabled || this.hbOut.size >= MAX_HB_PEERS || !speaksCompact(peer)) return;
    this.hbOut.add(peer);
    peer.send({ type: 'sendcmpct', highBandwidth: true });
  }

  onClosed(peer: Peer): void {
    if (!this.hbOut.delete(peer)) return;
    // The slot goes to the next established peer that speaks compact blocks and was not asked yet.
    for (const p of this.o.peers()) {
      if (p === peer || this.hbOut.has(p)) continue;
      this.onEstablished(p);
      if (this.hbOut.has(p)) return;
    }
  }

  /**
   * `peer` delivered a block that became our tip, before anyone else (BIP-152's choice of high-bandwidth
   * peers: the last MAX_HB_PEERS to do so). It is asked to push from now on, if it was not already; the
   * one that delivered least recently is told to stop when that makes one too many.
   */
  noteNewTipFrom(peer: Peer): void {
    if (!this.o.enabled || !peer.isEstablished || !speaksCompact(peer)) return;
    // The Set's order is the order of delivery: the most recent last.
    if (this.hbOut.delete(peer)) {
      this.hbOut.add(peer);
      return;
    }
    if (this.hbOut.size >= MAX_HB_PEERS) {
      const oldest = this.hbOut.values().next().value!;
      this.hbOut.delete(oldest);
      oldest.send({ type: 'sendcmpct', highBandwidth: false });
    }
    this.hbOut.add(peer);
    peer.send({ type: 'sendcmpct', highBandwidth: true });
  }

  handleSendCmpct(peer: Peer, msg: MessageOf<'sendcmpct'>): void {
    if (msg.highBandwidth && this.o.enabled) this.hbIn.add(peer);
    else this.hbIn.delete(peer);
  }

  /**
   * Pushes `block` as cmpctblock to the peers that asked (and are not known to have it), when it extends
   * our tip and its body matches its header. Its header was screened (proof of work, parent) already.
   * `checked`: true for a block the chain just connected (validated); `{ ids }` for a block rebuilt wholly
   * from our mempool (merkle-checked, every tx already valid against our tip). Any other block is pushed
   * before validation only if every one of its transactions is in our mempool: a block carrying anything
   * we have not validated waits for its own validation (it goes out at the tip change), so this node never
   * relays a block with an invalid transaction.
   * Returns the block's ids when this call (or the caller, `{ ids }`) bound its body to its header, so
   * the chain need not hash it again.
   */
  pushEarly(block: Block, except?: Peer, checked?: CheckedBody | true): CheckedBody | undefined {
    const given = checked && checked !== true ? checked : undefined;
    if (!this.o.enabled) return given;
    const hex = toHex(blockHash(block.header));
    // Not to a peer whose chain already reaches this height (e.g. the ones we sync from): it has it.
    const height = block.header.height;
    const targets = [...this.o.peers()].filter((p) => p !== except && this.hbIn.has(p) && !p.known.has(hex) && p.bestHeight < height);
    if (targets.length === 0) return given;
    // Only a block that extends our tip (or just became it: one of ours), as BIP-152 asks.
    const tipHex = toHex(this.ctx.chain.tip.hash);
    if (hex !== tipHex && toHex(block.header.prevHash) !== tipHex) return given;
    // Never announce short ids of a body that does not match its header (`checked`: it was, by the caller).
    const ids = given ? given.ids : block.txs.map(txId);
    if (!checked && !ids.every((id) => this.ctx.mempool.has(toHex(id)))) return undefined;
    if (!checked && !checkReconstructed(block, ids)) return undefined;
    const msg = makeCmpctBlock(block, randomBytes(8).readBigUInt64BE(0), ids);
    remember(this.recent, hex, block, MAX_RECENT);
    for (const p of targets) {
      p.known.add(hex);
      p.send(msg);
    }
    this.ctx.stats.compactBlocksSent += targets.length;
    return checked === true ? undefined : { ids };
  }

  async handleCmpctBlock(peer: Peer, msg: MessageOf<'cmpctblock'>): Promise<void> {
    const hash = blockHash(msg.header);
    const hex = toHex(hash);
    peer.known.add(hex);
    if (this.ctx.chain.hasBlock(hash) || this.ctx.relay.isBlockInFlight(hex) || this.pending.has(hex)) return;
    // Judged like a block's header: a bad one costs what it would cost in a block message.
    if (!screenBlockHeader(this.ctx, peer, msg.header)) return;
    this.ctx.stats.compactBlocksReceived++;
    const r = reconstruct(msg, mempoolCandidates(this.ctx));
    if (r.kind === 'failed') return this.fallback(peer, msg, r.reason);
    if (r.kind === 'complete') return this.finish(peer, msg, r.block, r.ids, true);
    if (r.missing.length > MAX_BLOCKTXN) return this.fallback(peer, msg, 'too-many-missing');
    if (this.pending.size >= MAX_PENDING) {
      const [oldHex, old] = this.pending.entries().next().value!;
      this.dropPending(oldHex, old);
      this.fallback(old.peer, old.msg, 'pending-evicted');
    }
    const timer = setTimeout(() => {
      const p = this.pending.get(hex);
      if (!p) return;
      this.dropPending(hex, p);
      this.fallback(p.peer, p.msg, 'blocktxn-timeout');
    }, this.o.blockTxnTimeoutMs);
    timer.unref();
    this.pending.set(hex, { peer, msg, txs: r.txs, ids: r.ids, missing: r.missing, timer });
    this.ctx.stats.compactRoundTrips++;
    peer.send({ type: 'getblocktxn', blockHash: hash, indexes: r.missing });
  }

  async handleGetBlockTxn(peer: Peer, msg: MessageOf<'getblocktxn'>): Promise<void> {
    const hex = toHex(msg.blockHash);
    const block = this.recent.get(hex) ?? (this.ctx.chain.isKnownInvalid(msg.blockHash) ? undefined : await this.ctx.chain.getBlock(msg.blockHash));
    if (!block) return; // not (or no longer) ours to serve: the asker falls back to getdata
    const n = block.txs.length;
    const ok = msg.indexes.length > 0 && msg.indexes.every((v, i) => v < n && (i === 0 || v > msg.indexes[i - 1]!));
    if (!ok) return peer.misbehave('bad-getblocktxn-indexes', PENALTIES['bad-getblocktxn-indexes'], `block ${hex}`);
    peer.send({ type: 'blocktxn', blockHash: msg.blockHash, txs: msg.indexes.map((i) => block.txs[i]!) });
  }

  async handleBlockTxn(peer: Peer, msg: MessageOf<'blocktxn'>): Promise<void> {
    const hex = toHex(msg.blockHash);
    const p = this.pending.get(hex);
    if (!p || p.peer !== peer) return; // late (we already fell back) or never asked: ignored, cheap
    this.dropPending(hex, p);
    const ids = matchesShortIds(p.msg, p.missing, msg.txs);
    if (!ids) {
      peer.misbehave('bad-blocktxn', PENALTIES['bad-blocktxn'], `block ${hex}`);
      return this.fallback(peer, p.msg, 'bad-blocktxn');
    }
    p.missing.forEach((idx, k) => {
      p.txs[idx] = msg.txs[k];
      p.ids[idx] = ids[k];
    });
    const block = { header: p.msg.header, miner: p.msg.miner, reward: p.msg.reward, txs: p.txs as Block['txs'] };
    return this.finish(peer, p.msg, block, p.ids as Uint8Array[], false);
  }

  /**
   * A full block body arrived (any peer): if a compact announcement of it fell back, and this body is
   * genuine (matches its header's merkle root), the announcement's short ids must be this body's;
   * if they are not, its sender lied.
   */
  auditFullBlock(block: Block): void {
    if (this.audits.size === 0) return;
    const hex = toHex(blockHash(block.header));
    const a = this.audits.get(hex);
    if (!a || !checkReconstructed(block)) return;
    this.audits.delete(hex);
    const all = block.txs.map((_, i) => i);
    const same = a.msg.reward === block.reward && toHex(a.msg.miner) === toHex(block.miner) && a.msg.shortIds.length === block.txs.length;
    if (!same || !matchesShortIds(a.msg, all, block.txs))
      a.peer.misbehave('bad-cmpct-block', PENALTIES['bad-cmpct-block'], `block ${hex}`);
  }

  private async finish(peer: Peer, msg: CmpctBlockMessage, block: Block, ids: Uint8Array[], fromMempool: boolean): Promise<void> {
    const hash = blockHash(msg.header);
    const hex = toHex(hash);
    if (this.ctx.chain.hasBlock(hash) || this.ctx.relay.isBlockInFlight(hex)) return; // another copy won the race
    if (!checkReconstructed(block, ids)) return this.fallback(peer, msg, 'merkle-mismatch');
    this.ctx.stats.compactBlocksRebuilt++;
    // Rebuilt wholly from our mempool: pushed on before validation (handleBlock's own push then finds
    // everyone served). With transactions from a blocktxn, it goes out once validated (tip change).
    if (fromMempool) this.pushEarly(block, peer, { ids });
    await handleBlock(this.ctx, peer, block, true, { ids });
  }

  /** The compact path failed for this block: fetch it whole from the same peer, and check its short ids then. */
  private fallback(peer: Peer, msg: CmpctBlockMessage, why: string): void {
    const hash = blockHash(msg.header);
    const hex = toHex(hash);
    this.ctx.stats.compactFallbacks++;
    this.ctx.log.debug({ peer: peer.label, block: hex, why }, 'compact block fell back to a full fetch');
    remember(this.audits, hex, { peer, msg }, MAX_AUDITS);
    if (peer.isEstablished && !this.ctx.chain.hasBlock(hash)) this.ctx.relay.requestBlocks(peer, [hash]);
  }

  private dropPending(hex: string, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(hex);
  }
}

function speaksCompact(peer: Peer): boolean {
  return Math.min(peer.hello?.protocolVersion ?? 1, PROTOCOL_VERSION) >= COMPACT_VERSION;
}

function* mempoolCandidates(ctx: ProtocolContext): Iterable<Candidate> {
  for (const e of ctx.mempool.entries()) yield { id: e.id, tx: e.tx };
}

/** Map insert with a cap: the oldest entry goes first. */
function remember<V>(m: Map<string, V>, key: string, v: V, cap: number): void {
  m.delete(key);
  m.set(key, v);
  if (m.size > cap) m.delete(m.keys().next().value!);
}
