/**
 * getnonces (protocol version 2): filling a sender's nonce gap. When a relayed transaction has to wait
 * because its sender's previous nonces never reached us (their announcement was lost, or the fetch was
 * abandoned), we ask the peer that gave it to us for the missing nonces; it answers with an `inv` of
 * those it holds, which we fetch with getdata as any announcement. Each (sender, first missing nonce)
 * is asked of one peer once (a bounded per-peer memory), and only of peers that speak version 2.
 * The responder pays one mempool lookup per request, charged as `count` getdata items (budget.ts).
 */
import { toHex } from '../../../core/bytes.js';
import { txId } from '../../../core/tx.js';
import { BoundedSet } from '../bounded-set.js';
import { ProtocolContext } from '../context.js';
import { PROTOCOL_VERSION } from '../handshake.js';
import { InvItem, MessageOf } from '../messages.js';
import { Peer } from '../peer.js';

/** getnonces appeared in this protocol version. */
export const GETNONCES_VERSION = 2;
/** Gaps remembered per peer as already asked about. */
const ASKED_PER_PEER = 1_024;
const asked = new WeakMap<Peer, BoundedSet>();

/** The peer gave us `hex`, which now waits for earlier nonces: ask it for them (once). */
export function askForGap(ctx: ProtocolContext, peer: Peer, hex: string): void {
  const gap = ctx.mempool.gapOf(hex);
  if (!gap || Math.min(peer.hello?.protocolVersion ?? 1, PROTOCOL_VERSION) < GETNONCES_VERSION) return;
  let seen = asked.get(peer);
  if (!seen) asked.set(peer, (seen = new BoundedSet(ASKED_PER_PEER)));
  const key = `${toHex(gap.sender)}:${gap.fromNonce}`;
  if (seen.has(key)) return;
  seen.add(key);
  ctx.log.debug({ peer: peer.label, sender: toHex(gap.sender), fromNonce: gap.fromNonce.toString(), count: gap.count }, 'asking for a nonce gap');
  peer.send({ type: 'getnonces', sender: gap.sender, fromNonce: gap.fromNonce, count: gap.count });
}

/** Answers with an inv of the sender's pending transactions in the asked range; nothing if none. */
export function handleGetNonces(ctx: ProtocolContext, peer: Peer, msg: MessageOf<'getnonces'>): void {
  const end = msg.fromNonce + BigInt(msg.count);
  const items: InvItem[] = [];
  for (const tx of ctx.mempool.txsOf(msg.sender)) {
    if (tx.nonce < msg.fromNonce || tx.nonce >= end) continue;
    const id = txId(tx);
    peer.known.add(toHex(id));
    items.push({ kind: 'tx', hash: id });
  }
  // Never an empty inv: that means "nothing more" to a peer syncing blocks from us.
  if (items.length > 0) peer.send({ type: 'inv', items });
}
