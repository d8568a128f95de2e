/**
 * What the message handlers share: the chain and mempool they read and feed, the relay, sync and
 * address-exchange services, and the counters the node reports. Handlers get this small record instead
 * of the P2PNode, so no handler can reach the peer manager or the transport (no circular imports).
 */
import { Chain } from '../../chain/chain.js';
import { Mempool } from '../../chain/mempool.js';
import { Log } from '../../log.js';
import type { AddrExchange } from './handlers/addr.js';
import type { CompactRelay } from './handlers/compact.js';
import type { Relay } from './relay.js';
import type { Sync } from './sync.js';

/** Counters exposed as `P2PNode.stats`. */
export interface P2PStats {
  /** Every block message received. */
  blockBodiesReceived: number;
  /** Block bodies we already had (or were already validating) when they arrived. */
  duplicateBlockBodies: number;
  txBodiesReceived: number;
  duplicateTxBodies: number;
  /** Bodies we sent in answer to getdata. */
  blocksServed: number;
  txsServed: number;
  /** Peers banned since start. */
  bans: number;
  // ---- compact block relay (issue #9) ----
  /** cmpctblock messages sent (one per peer pushed to) and received with a good header. */
  compactBlocksSent: number;
  compactBlocksReceived: number;
  /** Blocks rebuilt from a cmpctblock (with or without a blocktxn round trip). */
  compactBlocksRebuilt: number;
  /** getblocktxn requests sent (one round trip each). */
  compactRoundTrips: number;
  /** Compact announcements that ended in a full getdata. */
  compactFallbacks: number;
}

export function newStats(): P2PStats {
  return { blockBodiesReceived: 0, duplicateBlockBodies: 0, txBodiesReceived: 0, duplicateTxBodies: 0, blocksServed: 0, txsServed: 0, bans: 0, ...newCompactStats() };
}

function newCompactStats() {
  return { compactBlocksSent: 0, compactBlocksReceived: 0, compactBlocksRebuilt: 0, compactRoundTrips: 0, compactFallbacks: 0 };
}

export interface ProtocolContext {
  chain: Chain;
  mempool: Mempool;
  relay: Relay;
  sync: Sync;
  addrs: AddrExchange;
  stats: P2PStats;
  log: Log;
  /** Compact block relay (issue #9); set once the context exists. */
  compact?: CompactRelay;
}
