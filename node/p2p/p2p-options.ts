/**
 * P2PNodeOptions: what the full node configures of the P2P service (listening address, seeds, connection
 * targets, timeouts, injected clock and randomness). The defaults are applied by P2PNode.start.
 * Types only. Imports chain (types), peers/node-key and log.
 */
import type { Chain } from '../chain/chain.js';
import type { Mempool } from '../chain/mempool.js';
import type { Log } from '../log.js';
import type { NodeKey } from './peers/node-key.js';

export interface P2PNodeOptions {
  chain: Chain;
  mempool: Mempool;
  nodeKey: NodeKey;
  datadir: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** ws://host:port URLs; [] disables seeds. */
  seeds: string[];
  log?: Log;
  /** Outbound connections to keep (default 8). */
  maxOutbound?: number;
  /** Inbound connections to accept (default 32). */
  maxInbound?: number;
  /** Ping / getaddr / dial pass interval (default 10 s). */
  refreshIntervalMs?: number;
  /** Wall clock (ms since the epoch): address book times, bans, timeouts. */
  clock?: () => number;
  /** Open -> established limit (default 10 s, HANDSHAKE_TIMEOUT_MS). */
  handshakeTimeoutMs?: number;
  /** getdata answer limit before asking another peer (default 5 s). */
  fetchTimeoutMs?: number;
  dialTimeoutMs?: number;
  /** Ban length for a peer reaching the misbehaviour threshold (default 24 h). */
  banDurationMs?: number;
  /** Refresh ticks without a pong before a peer is dropped (default 3). */
  maxMissedPings?: number;
  /** Inbound connections still in the handshake (default 16). */
  maxPendingHandshakes?: number;
  /** A getheaders unanswered for this long: the peer leaves the sync round (default 5 s; name kept from v0.1). */
  syncStallMs?: number;
  userAgent?: string;
  /** Uniform in [0, 1): address selection and sampling. */
  random?: () => number;
  /** CSPRNG bytes: handshake challenges, ping nonces. */
  randomBytes?: (n: number) => Uint8Array;
  /** Which hosts the address book accepts (default: any loopback, private or public IP; see net-address.ts). */
  isAcceptableHost?: (host: string) => boolean;
  /** The address we announce to peers (--external-address); default: one several peers agree they see us at. */
  externalAddress?: { host: string; port: number };
  /** Established inbound peers per non-loopback IP (default 4) and per public netgroup (default 8). */
  maxInboundPerIp?: number;
  maxInboundPerNetgroup?: number;
  /** Compact block relay (issue #9; default true). false (--no-compact): inv / getdata only. */
  compact?: boolean;
}
