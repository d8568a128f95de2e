/**
 * Per-peer message budgets (token buckets, Bitcoin Core style), charged when a message is *read*, before
 * it waits in the peer's processing queue: a flooding peer is cut off as soon as it exceeds its budget,
 * not after we have read (and queued) everything it sent. A message over budget is dropped and costs
 * its flood penalty. `addr` entries have a budget too, but it is charged by the addr handler, where
 * the excess is ignored without penalty (as in Core).
 *
 * Imports transport/rate-limit, messages and misbehavior only.
 */
import { RateLimiter, RateSpec } from '../transport/rate-limit.js';
import { Message } from './messages.js';
import { PENALTIES, PenaltyReason } from './misbehavior.js';

/** Per-peer budgets: rate per second, burst. See docs/protocol.md "Rate limits". */
export const PEER_RATE_LIMITS = {
  /** ping, getaddr, getblocks, notfound, reject: cheap to send, each costs us work to answer. */
  control: { ratePerSec: 20, burst: 200 },
  /**
   * Items in inv messages (an empty inv counts 1). Honest inv traffic (announcements, 500-hash getblocks
   * answers, 1,000-item mempool offers) stays far below this.
   */
  inv: { ratePerSec: 10_000, burst: 20_000 },
  /** Items in getdata messages (each may cost a disk read and up to 2 MiB of upload). */
  getdata: { ratePerSec: 10_000, burst: 20_000 },
  /** Headers in headers messages (each costs a sha256d): a 10,000-block sync is five messages. */
  headers: { ratePerSec: 10_000, burst: 40_000 },
  /** Entries in unsolicited addr messages: beyond this they are ignored (no penalty). */
  addr: { ratePerSec: 10, burst: 1000 },
} satisfies Record<string, RateSpec>;

export type RateFamily = keyof typeof PEER_RATE_LIMITS;

export interface BudgetedPeer {
  limits: RateLimiter<RateFamily>;
  misbehave(reason: string, penalty: number, detail?: string): void;
}

/** Charges `msg` to the peer's budget. False: over budget, the message must be dropped (penalty applied). */
export function chargeBudget(peer: BudgetedPeer, msg: Message): boolean {
  switch (msg.type) {
    case 'ping':
    case 'getaddr':
    case 'getblocks':
    case 'getheaders':
    case 'notfound':
    case 'reject':
      return take(peer, 'control', 1, 'message-flood', msg.type);
    case 'sendcmpct':
    case 'cmpctblock':
    case 'blocktxn':
      // One per block at most from an honest peer; an unrequested blocktxn is ignored at once.
      return take(peer, 'control', 1, 'message-flood', msg.type);
    case 'getblocktxn':
      return take(peer, 'getdata', Math.max(1, msg.indexes.length), 'getdata-flood', `getblocktxn ${msg.indexes.length}`);
    case 'getnonces':
      // A request for up to `count` transactions: charged like that many getdata items.
      return take(peer, 'getdata', msg.count, 'getdata-flood', `getnonces ${msg.count}`);
    case 'inv':
      return take(peer, 'inv', Math.max(1, msg.items.length), 'inv-flood', `${msg.items.length} items`);
    case 'getdata':
      return take(peer, 'getdata', Math.max(1, msg.items.length), 'getdata-flood', `${msg.items.length} items`);
    case 'headers':
      return take(peer, 'headers', Math.max(1, msg.headers.length), 'headers-flood', `${msg.headers.length} headers`);
    default:
      return true;
  }
}

function take(peer: BudgetedPeer, family: RateFamily, cost: number, reason: PenaltyReason, detail: string): boolean {
  if (peer.limits.take(family, cost)) return true;
  peer.misbehave(reason, PENALTIES[reason], detail);
  return false;
}
