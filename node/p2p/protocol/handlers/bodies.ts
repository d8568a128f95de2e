/**
 * Bodies: a `tx` or `block` message, normally the answer to our getdata. Each body is validated once
 * (relay.claim tells a first copy from a duplicate), counted in the stats, and judged:
 *   - accepted: gossip follows from the mempool's 'tx' / the chain's 'tip' event (never from here, so
 *     nothing that failed validation is ever relayed);
 *   - a consensus failure costs the sender penaltyFor(verdict) and the hash goes to the rejected cache,
 *     except body-mismatch reasons (the honest body for that header may still come, CVE-2012-2459) and
 *     state-dependent tx reasons (an honest peer can race a block);
 *   - a block whose parent header we do not know is not stored: we ask its sender for headers;
 *   - a block on a branch too light to keep costs its (unrequested) sender 'low-work-branch';
 *   - policy failures and duplicates never cost anything, but an unrequested body we already had does;
 *   - a tx ahead of its sender's next nonce waits in the mempool's waitlist until the gap fills.
 * Unrequested bodies are processed like requested ones (as Core does for blocks).
 */
import { Block, BlockHeader, blockHash } from '../../../core/block.js';
import { Rejection } from '../../../core/verdict.js';
import { toHex } from '../../../core/bytes.js';
import { BODY_MISMATCH_REASONS, CheckedBody } from '../../../core/check-block.js';
import { Tx, txId } from '../../../core/tx.js';
import { ProtocolContext } from '../context.js';
import { PENALTIES, blockPenalty, txPenalty } from '../misbehavior.js';
import { Peer } from '../peer.js';
import { askForGap } from './nonces.js';
import { JobsPerPeer } from '../jobs-per-peer.js';

export async function handleTx(ctx: ProtocolContext, peer: Peer, tx: Tx): Promise<void> {
  const id = txId(tx);
  const hex = toHex(id);
  ctx.stats.txBodiesReceived++;
  peer.known.add(hex);
  const claim = ctx.relay.claim(peer, 'tx', hex, id);
  if (!claim.first || ctx.mempool.has(hex) || ctx.relay.recentTxs.has(hex)) {
    if (claim.first) ctx.relay.complete('tx', hex);
    duplicate(ctx, peer, 'tx', claim.requested);
    return;
  }
  // Not awaited here: the peer's next bodies start admission while this one's signature is verified,
  // so a burst is verified in batches on the worker pool instead of one round trip at a time. Bounded
  // per peer; the mempool still applies them to the state one at a time, and one that overtakes its
  // sender's previous nonce waits in the waitlist until that one is in.
  const job = admitRelayedTx(ctx, peer, tx, hex).catch((e: unknown) => {
    ctx.log.error({ err: e, peer: peer.label, tx: hex }, 'error admitting a relayed tx; dropping the peer');
    peer.disconnect('internal-error');
  });
  await admitting.add(peer, job);
}

/** Relayed transactions of one peer in admission at the same time (each holds one tx, 145 bytes). */
export const MAX_TX_ADMISSIONS_PER_PEER = 256;
const admitting = new JobsPerPeer(MAX_TX_ADMISSIONS_PER_PEER);

async function admitRelayedTx(ctx: ProtocolContext, peer: Peer, tx: Tx, hex: string): Promise<void> {
  let v;
  try {
    v = await ctx.mempool.acceptTx(tx, peer.label);
  } finally {
    ctx.relay.complete('tx', hex);
  }
  if (v.ok) {
    ctx.relay.recentTxs.add(hex);
    peer.noteUseful('tx');
    return;
  }
  if (v.class === 'duplicate') return duplicate(ctx, peer, 'tx', true);
  // Ahead of its sender's next nonce: it waits in the mempool's waitlist and is admitted (and relayed)
  // when the gap fills, so it is neither cached as refused nor held against the peer.
  if (ctx.mempool.isWaiting(hex)) return askForGap(ctx, peer, hex);
  const penalty = txPenalty(v);
  // Only a final verdict is cached: a nonce gap or a balance may be fine after the next block.
  if (penalty > 0 || v.reason === 'tx-nonce-too-low') ctx.relay.rejected.add(hex);
  ctx.log.debug({ peer: peer.label, tx: hex, reason: v.reason, class: v.class }, 'relayed tx refused');
  peer.misbehave(v.reason, penalty, `tx ${hex}`);
}

/**
 * A block's header, judged before its body is decoded (Chain.screenHeader): a refusal is handled here
 * exactly as handleBlock would handle the same verdict, and the body is never decoded.
 */
export function screenBlockHeader(ctx: ProtocolContext, peer: Peer, header: BlockHeader): boolean {
  const v = ctx.chain.screenHeader(header);
  if (v.ok) return true;
  const hash = blockHash(header);
  const hex = toHex(hash);
  ctx.stats.blockBodiesReceived++;
  if (ctx.relay.isBlockInFlight(hex)) return true; // a request of ours: let the full path release it
  refused(ctx, peer, hex, header.height, v, ctx.relay.wasRequested(peer, hex));
  return false;
}

/**
 * `viaCompact`: rebuilt from the peer's cmpctblock (we asked for it, in effect: never an unrequested
 * duplicate), with `checked` its ids, already bound to the header by the merkle root.
 */
export async function handleBlock(ctx: ProtocolContext, peer: Peer, block: Block, viaCompact = false, checked?: CheckedBody): Promise<void> {
  const hash = blockHash(block.header);
  const hex = toHex(hash);
  ctx.stats.blockBodiesReceived++;
  peer.known.add(hex);
  const claim = ctx.relay.claim(peer, 'block', hex, hash);
  const requested = claim.requested || viaCompact;
  if (!claim.first || ctx.chain.hasBlock(hash)) {
    if (claim.first) ctx.relay.complete('block', hex);
    duplicate(ctx, peer, 'block', requested);
    ctx.sync.onBlockDone(hex, true);
    return;
  }
  if (ctx.relay.rejected.has(hex)) {
    ctx.relay.complete('block', hex);
    peer.misbehave('known-invalid', 100, `block ${hex}`);
    return;
  }
  // A block we asked for (sync) is handed over without waiting, up to MAX_BLOCK_ACCEPTS_PER_PEER of a
  // peer's at once, so the next ones are decoded and their signatures checked (Chain.prepare) while
  // this one is connected. The chain still takes them one at a time, in order; anything unsolicited waits.
  // Compact block relay: high-bandwidth peers get it now, before it is validated and stored, if every
  // transaction is one our mempool holds (else after validation, at the tip change).
  const bound = ctx.compact?.pushEarly(block, peer, checked) ?? checked;
  const job = acceptBody(ctx, peer, block, hash, hex, requested, bound).catch((e: unknown) => {
    ctx.log.error({ err: e, peer: peer.label, block: hex }, 'error accepting a block; dropping the peer');
    peer.disconnect('internal-error');
  });
  if (!claim.requested) return job;
  await accepting.add(peer, job);
}

/** Requested blocks of one peer handed to the chain at the same time (each holds one block, <= its requests in flight). */
export const MAX_BLOCK_ACCEPTS_PER_PEER = 8;
const accepting = new JobsPerPeer(MAX_BLOCK_ACCEPTS_PER_PEER);

async function acceptBody(ctx: ProtocolContext, peer: Peer, block: Block, hash: Uint8Array, hex: string, requested: boolean, checked?: CheckedBody): Promise<void> {
  let r;
  try {
    r = await ctx.chain.acceptBlock(block, checked);
  } finally {
    ctx.relay.complete('block', hex);
  }
  if (r.ok) {
    peer.noteUseful('block');
    // Delivered first and now our tip, outside a sync: BIP-152's reason to ask this peer for compact pushes.
    if (r.value.status !== 'side-branch' && r.value.status !== 'pending' && ctx.chain.tip.hashHex === hex && !ctx.sync.syncing()) ctx.compact?.noteNewTipFrom(peer);
    ctx.sync.onBlockDone(hex, true, peer, ctx.chain.getNode(hash));
  } else if (r.class === 'duplicate') {
    ctx.sync.onBlockDone(hex, false);
    duplicate(ctx, peer, 'block', true);
  } else {
    refused(ctx, peer, hex, block.header.height, r, requested);
  }
}

/** What a refused block costs its sender, and what we do next. */
function refused(ctx: ProtocolContext, peer: Peer, hex: string, height: number, r: Rejection, requested: boolean): void {
  if (r.class === 'missing-parent') {
    // The sender has a chain we do not know: learn it through headers; the block itself is not kept.
    ctx.sync.onUnknownParent(peer);
  } else if (r.reason === 'low-work-branch') {
    ctx.log.debug({ peer: peer.label, block: hex, height }, 'block on a low-work branch not stored');
    if (!requested) peer.misbehave('low-work-branch', PENALTIES['low-work-branch'], `block ${hex}`);
    ctx.sync.onBlockDone(hex, false);
  } else if (r.class === 'consensus') {
    ctx.sync.onBlockDone(hex, false);
    if (!BODY_MISMATCH_REASONS.has(r.reason)) ctx.relay.rejected.add(hex);
    ctx.log.info({ peer: peer.label, block: hex, height, reason: r.reason }, 'invalid block from peer');
    peer.misbehave(r.reason, blockPenalty(r), `block ${hex}`);
  } else {
    ctx.sync.onBlockDone(hex, false);
    ctx.log.debug({ peer: peer.label, block: hex, reason: r.reason, class: r.class }, 'block not accepted');
  }
}

function duplicate(ctx: ProtocolContext, peer: Peer, kind: 'tx' | 'block', requested: boolean): void {
  if (kind === 'tx') ctx.stats.duplicateTxBodies++;
  else ctx.stats.duplicateBlockBodies++;
  if (!requested) peer.misbehave('unrequested-duplicate', PENALTIES['unrequested-duplicate'], kind);
}

