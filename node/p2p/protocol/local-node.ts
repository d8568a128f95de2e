/**
 * LocalNode: what we present to peers (chain, genesis, our node id and key, user agent, listening port,
 * best chain), and `makeHello`, the hello a Peer sends from it at the start of the handshake
 * (docs/protocol.md, "Handshake").
 * Pure apart from what the LocalNode reads. Imports messages, handshake and peers/net-address only.
 */
import { parseIp } from '../peers/net-address.js';
import { PROTOCOL_VERSION } from './handshake.js';
import { HelloMessage } from './messages.js';

/** What we present to peers; `best` and `listenPort` are read when the hello is sent. */
export interface LocalNode {
  chainId: number;
  genesisHash: Uint8Array;
  nodeId: Uint8Array;
  /** Hex of nodeId. */
  nodeIdHex: string;
  privateKey: Uint8Array;
  userAgent: string;
  listenPort(): number;
  /** IPs we announce as ours (--external-address, or one several peers agree on): accepted in hello.observed. */
  externalIps?(): Uint8Array[];
  best(): { height: number; work: bigint; hash: Uint8Array };
}

/**
 * Our hello on a connection whose far end is `remote` (address and port as the socket reports them), with
 * the fresh `challenge` the peer must sign, timestamped by `clock`.
 */
export function makeHello(local: LocalNode, challenge: Uint8Array, clock: () => number, remote: { address: string; port: number }): HelloMessage {
  const best = local.best();
  return {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    chainId: local.chainId,
    genesisHash: local.genesisHash,
    nodeId: local.nodeId,
    challenge,
    listenPort: local.listenPort(),
    bestHeight: best.height,
    bestWork: best.work,
    bestHash: best.hash,
    userAgent: local.userAgent,
    timestamp: clock(),
    // Where we see the peer's socket: binds the transcript to this connection.
    observedIp: parseIp(remote.address) ?? new Uint8Array(16),
    observedPort: remote.port,
  };
}
