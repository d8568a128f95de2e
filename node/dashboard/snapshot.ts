/**
 * The shape of one dashboard snapshot: what collector.ts builds every poll and server.ts pushes to the
 * browser as JSON (the page in public/ reads these fields). Types only.
 */

export type NodeState = 'alive' | 'dead' | 'no-answer' | 'starting';

export interface NodeView {
  index: number;
  p2p: string;
  rpc: string;
  miner: boolean;
  seed: boolean;
  state: NodeState;
  nodeId: string | null;
  height: number | null;
  tip: string | null;
  peers: number | null;
  mempool: number | null;
  syncing: boolean | null;
  /** Peers banned since the node started (from /metrics). */
  bans: number | null;
}

export interface EdgeView {
  /** "dialer-listener" by node index. */
  id: string;
  from: number;
  to: number;
  latencyMs: number | null;
}

export interface BlockView {
  hash: string;
  prev: string;
  height: number;
  txs: number;
  timestamp: number;
  main: boolean;
  /** Indexes of the nodes whose tip this block is. */
  tips: number[];
}

export interface SpreadView {
  hash: string;
  height: number;
  /** Per node (in node order): ms after the first node was seen with the block, null if not yet. */
  delays: (number | null)[];
}

export interface EventView {
  at: number;
  kind: 'exit' | 'no-answer' | 'back' | 'reorg' | 'ban' | 'control' | 'error';
  text: string;
}

export interface Snapshot {
  at: number;
  pollMs: number;
  nodes: NodeView[];
  edges: EdgeView[];
  blocks: BlockView[];
  spread: SpreadView[];
  /** Per main-chain block in the window: seconds since its parent and its transactions per second. */
  series: { height: number; blockTimeS: number; txPerS: number }[];
  events: EventView[];
  controls: boolean;
  /** The split the dashboard made (node indexes per side), null when the network is whole. */
  partition: number[][] | null;
}
