/**
 * PeerInfo: what the node reports about one established peer (RPC getPeerInfo, the P2P service's
 * `peers()`), built from a Peer's state. Pure. Imports protocol/peer and protocol/messages only.
 */
import { printable } from './protocol/messages.js';
import { Peer } from './protocol/peer.js';

export interface PeerInfo {
  nodeId: string;
  /** The peer's ws URL: its listening address when known, else the socket's far end. */
  address: string;
  /** Remote socket "host:port". */
  remote: string;
  direction: 'inbound' | 'outbound';
  latencyMs: number | null;
  /** Best height the peer claimed or was seen to have. */
  height: number;
  /** "host:port" the peer accepts connections on, if known. */
  listenAddress: string | null;
  userAgent: string;
  /** Misbehaviour score (banned at 100). */
  banScore: number;
  connectedAt: number;
}

/** The report on an established peer. */
export function peerInfo(p: Peer): PeerInfo {
  return {
    nodeId: p.nodeIdHex!,
    // The peer's ws URL: where it listens (dialled by us, or claimed in an inbound hello), else the socket's far end.
    address: `ws://${p.listenKey ?? `${p.host}:${p.remotePort}`}`,
    remote: `${p.host}:${p.remotePort}`,
    direction: p.direction,
    latencyMs: p.latencyMs,
    height: p.bestHeight,
    listenAddress: p.listenKey ?? null,
    userAgent: printable(p.hello?.userAgent ?? ''),
    banScore: p.score,
    connectedAt: p.connectedAt,
  };
}
