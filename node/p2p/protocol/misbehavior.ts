/**
 * The misbehaviour policy, in one place: what each kind of bad input costs a peer, when the score
 * turns into a ban, and for how long. Scores follow Bitcoin Core's Misbehaving(): they only grow, a
 * peer reaching BAN_THRESHOLD is disconnected and its nodeId banned (never its IP: many honest
 * testnet nodes share 127.0.0.1). Only a proven nodeId (handshake complete) can be banned; before the
 * handshake a violation just closes the connection.
 *
 * Relayed transactions and blocks cost `penaltyFor(verdict)` (core/verdict.ts): consensus failures
 * only, policy failures (low fee, full mempool, duplicates) never. Pure: no I/O.
 */
import { Verdict, penaltyFor } from '../../core/verdict.js';

/** Score at which a peer is disconnected and banned. */
export const BAN_THRESHOLD = 100;

/** How long a ban lasts unless configured otherwise: 24 h, Bitcoin Core's -bantime. */
export const DEFAULT_BAN_DURATION_MS = 24 * 60 * 60 * 1000;

/** Fixed penalties for protocol-level misbehaviour after the handshake. Keys are the logged reasons. */
export const PENALTIES = {
  /** A frame that does not decode: a compatible peer never sends one (unknown types need a newer negotiated version). */
  'malformed-message': 100,
  /** A frame above MAX_MESSAGE_BYTES, a text frame or a broken ws frame, refused by the transport. */
  'oversized-message': 100,
  'text-frame': 100,
  'bad-frame': 100,
  /** hello or helloProof after the handshake completed. */
  'unexpected-handshake-message': 100,
  /** One control message (ping, getaddr, getblocks, notfound, reject) beyond the per-peer budget. */
  'message-flood': 10,
  /** An inv or getdata beyond the per-peer item budget. */
  'inv-flood': 10,
  'getdata-flood': 10,
  /** A tx or block body we never asked for and already had: wasted bandwidth; honest peers answer getdata only. */
  'unrequested-duplicate': 10,
  // ---- headers-first sync (issue #7) ----
  /** A header that breaks a consensus rule (proof of work, bits, time, continuity): it cost nothing to forge. */
  'bad-header': 100,
  /** Unsolicited headers, or a block, on a branch lighter than our tip (beyond the margin): junk we never asked for. */
  'low-work-headers': 10,
  'low-work-branch': 10,
  /** Every 10th header or block that does not connect to anything we know (Core: 20 per 10 such messages). */
  'unconnecting-headers': 20,
  /** Header items beyond the per-peer budget. */
  'headers-flood': 10,
  // ---- compact block relay (issue #9) ----
  /** getblocktxn with no index, an index past the block's last tx, or indexes not strictly increasing. */
  'bad-getblocktxn-indexes': 100,
  /** blocktxn whose transactions do not have the short ids the same peer announced at those indexes. */
  'bad-blocktxn': 100,
  /** A cmpctblock whose short ids are proven wrong by the genuine (merkle-checked) block body. */
  'bad-cmpct-block': 100,
} as const;

export type PenaltyReason = keyof typeof PENALTIES;

/**
 * Transaction rejections that depend on the state at our tip, not on the transaction itself. An honest
 * peer relays such a transaction when a block reached us before it reached the peer (the classic
 * race: the nonce was just used, the balance just spent), so they cost nothing, like Core's
 * TX_MISSING_INPUTS / TX_CONFLICT. The mempool reports some of them as class 'consensus'.
 */
export const STATE_DEPENDENT_TX_REASONS: ReadonlySet<string> = new Set([
  'tx-nonce-too-low',
  'tx-nonce-too-high',
  'insufficient-balance',
  'bad-tx-balance-overflow',
]);

/** Ban score for relaying a transaction with this verdict. */
export function txPenalty(v: Verdict<unknown>): number {
  if (v.ok || STATE_DEPENDENT_TX_REASONS.has(v.reason)) return 0;
  return penaltyFor(v);
}

/** Ban score for relaying a block with this verdict (block validity never depends on timing, except 'premature'). */
export function blockPenalty(v: Verdict<unknown>): number {
  return penaltyFor(v);
}

/** Transport close reasons (connection.ts) that are the peer's fault, mapped to a penalty reason. */
export function transportPenalty(closeReason: string): PenaltyReason | undefined {
  if (closeReason === 'frame-too-large') return 'oversized-message';
  if (closeReason === 'text-frame') return 'text-frame';
  if (closeReason.startsWith('bad-frame')) return 'bad-frame';
  return undefined;
}
