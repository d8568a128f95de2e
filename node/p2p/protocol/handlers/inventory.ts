/**
 * Inventory messages: inv (a peer announces transactions or blocks it has, or answers our getblocks),
 * getdata (a peer asks for bodies; we serve blocks from the chain and transactions from the mempool,
 * notfound for the rest) and notfound (a peer lacks what we asked for).
 *
 * Budgets (items per second) were charged on arrival (budget.ts). Serving respects the connection's
 * send buffer: a large getdata is answered at the pace the peer reads, so honest block download never
 * trips the transport's send-buffer cut-off.
 */
import { toHex } from '../../../core/bytes.js';
import { ProtocolContext } from '../context.js';
import { InvItem, MESSAGE_TYPES, MessageOf } from '../messages.js';
import { Peer } from '../peer.js';
import { sendInv } from '../relay.js';

/** Unsent bytes above which serving pauses until the peer has read some (well below the 8 MiB cut-off). */
export const SERVE_BUFFER_HIGH_WATER = 2 * 1024 * 1024;
/** Longest pause for a peer to drain its buffer before we stop answering this getdata. */
const DRAIN_WAIT_MS = 30_000;

export function handleInv(ctx: ProtocolContext, peer: Peer, msg: MessageOf<'inv'>): void {
  const blocks: Uint8Array[] = [];
  const txs: Uint8Array[] = [];
  for (const it of msg.items) {
    peer.known.add(toHex(it.hash));
    if (it.kind === 'block') {
      blocks.push(it.hash);
      // A block we already have tells us how far the peer's chain reaches.
      const node = ctx.chain.getNode(it.hash);
      if (node) peer.noteBest(node.height, node.work);
    } else txs.push(it.hash);
  }
  // Blocks are learnt through their headers and fetched by sync.ts, never blind from an inv.
  if (blocks.length > 0) ctx.sync.onBlockInv(peer, blocks);
  if (txs.length > 0) ctx.relay.requestTxs(peer, txs);
}

export async function handleGetData(ctx: ProtocolContext, peer: Peer, msg: MessageOf<'getdata'>): Promise<void> {
  const missing: InvItem[] = [];
  for (const it of msg.items) {
    if (!peer.conn.isOpen) return;
    const hex = toHex(it.hash);
    if (it.kind === 'tx') {
      const tx = ctx.mempool.get(hex);
      if (!tx) {
        missing.push(it);
        continue;
      }
      peer.known.add(hex);
      peer.send({ type: 'tx', tx });
      ctx.stats.txsServed++;
      continue;
    }
    // Never serve a block we found invalid, even though its bytes are stored.
    const bytes = ctx.chain.isKnownInvalid(it.hash) ? undefined : await ctx.chain.getBlockBytes(it.hash);
    if (!bytes) {
      missing.push(it);
      continue;
    }
    if (!(await waitForDrain(peer))) return;
    const frame = new Uint8Array(bytes.length + 1);
    frame[0] = MESSAGE_TYPES.block;
    frame.set(bytes, 1);
    peer.known.add(hex);
    peer.sendFrame(frame);
    ctx.stats.blocksServed++;
  }
  sendInv(peer, 'notfound', missing);
}

export function handleNotFound(ctx: ProtocolContext, peer: Peer, msg: MessageOf<'notfound'>): void {
  ctx.relay.onNotFound(peer, msg.items);
}

/** Waits (polling, bounded) until the peer's unsent data is below the high-water mark. */
async function waitForDrain(peer: Peer): Promise<boolean> {
  const deadline = Date.now() + DRAIN_WAIT_MS;
  while (peer.conn.isOpen && peer.conn.bufferedAmount > SERVE_BUFFER_HIGH_WATER) {
    if (Date.now() > deadline) {
      peer.disconnect('send-stalled');
      return false;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return peer.conn.isOpen;
}
