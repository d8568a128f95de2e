/**
 * CONTRACT STUB — the P2P service the node composes. To be replaced by the real implementation
 * (peer manager, handshake, gossip, sync); the constructor options and public methods below are
 * what full-node.ts and the RPC rely on.
 */
import { EventEmitter } from 'node:events';
import { Chain } from '../chain/chain.js';
import { Mempool } from '../chain/mempool.js';
import { Log, silentLog } from '../log.js';
import { NodeKey } from './node-key.js';

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
  maxOutbound?: number;
  maxInbound?: number;
  refreshIntervalMs?: number;
  clock?: () => number;
}

export interface PeerInfo {
  nodeId: string;
  address: string;
  direction: 'inbound' | 'outbound';
  latencyMs: number | null;
  height: number;
}

export interface P2PStats {
  blockBodiesReceived: number;
  duplicateBlockBodies: number;
  txBodiesReceived: number;
  duplicateTxBodies: number;
}

export class P2PNode extends EventEmitter {
  port = 0;
  readonly stats: P2PStats = { blockBodiesReceived: 0, duplicateBlockBodies: 0, txBodiesReceived: 0, duplicateTxBodies: 0 };

  constructor(private readonly opts: P2PNodeOptions) {
    super();
  }

  async start(): Promise<{ port: number }> {
    this.port = this.opts.port;
    (this.opts.log ?? silentLog).warn({}, 'P2P not implemented yet (stub)');
    return { port: this.port };
  }

  async stop(): Promise<void> {}

  peers(): PeerInfo[] {
    return [];
  }

  syncing(): boolean {
    return false;
  }
}
