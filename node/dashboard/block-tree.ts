/**
 * The dashboard's shared block tree: every block a node's tip walk fetched (collector.ts does the
 * fetching over RPC), with when each node was first seen holding it. Pure functions over it: the fork
 * point of two blocks (for reorg events), eviction of the lowest heights beyond the cap (they are far
 * below every tip the page shows), and the snapshot's part drawn from it (the tree window below the
 * best tip, the block-time series, the propagation spread). No I/O, no clock.
 */
import { BlockView, NodeView, Snapshot, SpreadView } from './snapshot.js';

export const MAX_BLOCKS = 1000;
/** Heights shown in the block tree, counted down from the best tip. */
export const TREE_WINDOW = 50;
const SPREAD_BLOCKS = 8;

export interface BlockRec {
  hash: string;
  prev: string;
  height: number;
  txs: number;
  timestamp: number;
  /** node index -> when the dashboard first saw the node holding it (-1: before the dashboard started). */
  seen: Map<number, number>;
}

/** Blocks by hash. */
export type BlockTree = Map<string, BlockRec>;

/** The common ancestor of two known blocks, or undefined when the tree does not reach it. */
export function forkPoint(blocks: BlockTree, a: BlockRec, b: BlockRec): BlockRec | undefined {
  let x: BlockRec | undefined = a;
  let y: BlockRec | undefined = b;
  for (let i = 0; x && y && i < 2 * MAX_BLOCKS; i++) {
    if (x.hash === y.hash) return x;
    if (x.height >= y.height) x = blocks.get(x.prev);
    else y = blocks.get(y.prev);
  }
  return undefined;
}

/** Drops the lowest blocks beyond `max` (they are far below every tip the page shows). */
export function evictLowest(blocks: BlockTree, max: number): void {
  if (blocks.size <= max) return;
  const sorted = [...blocks.values()].sort((a, b) => a.height - b.height);
  for (const b of sorted.slice(0, blocks.size - max)) blocks.delete(b.hash);
}

/**
 * The snapshot's block tree, series and spread, as the nodes in `views` (in node order) hold them:
 * the main chain is the one below the best tip, the highest any answering node holds (ties: held by
 * more nodes).
 */
export function treeView(blocks: BlockTree, views: NodeView[]): Pick<Snapshot, 'blocks' | 'series' | 'spread'> {
  const tipCount = new Map<string, number>();
  for (const v of views) if (v.state === 'alive' && v.tip) tipCount.set(v.tip, (tipCount.get(v.tip) ?? 0) + 1);
  let best: BlockRec | undefined;
  for (const [h, n] of tipCount) {
    const b = blocks.get(h);
    if (b && (!best || b.height > best.height || (b.height === best.height && n > (tipCount.get(best.hash) ?? 0)))) best = b;
  }
  const main = new Set<string>();
  for (let b = best, i = 0; b && i < MAX_BLOCKS; b = blocks.get(b.prev), i++) main.add(b.hash);
  const top = best?.height ?? 0;
  const low = Math.max(0, top - TREE_WINDOW + 1);
  const tipsOf = new Map<string, number[]>();
  for (const v of views) if (v.tip && v.state !== 'dead') tipsOf.set(v.tip, [...(tipsOf.get(v.tip) ?? []), v.index]);
  const inWindow = [...blocks.values()].filter((b) => b.height >= low).sort((a, b) => a.height - b.height || (a.hash < b.hash ? -1 : 1));
  const tree: BlockView[] = inWindow.map((b) => ({ hash: b.hash, prev: b.prev, height: b.height, txs: b.txs, timestamp: b.timestamp, main: main.has(b.hash), tips: tipsOf.get(b.hash) ?? [] }));

  const series: Snapshot['series'] = [];
  for (const b of inWindow) {
    const parent = blocks.get(b.prev);
    // Genesis carries the network's creation time, not a block interval.
    if (!main.has(b.hash) || !parent || parent.height === 0) continue;
    const dt = Math.max(0.001, (b.timestamp - parent.timestamp) / 1000);
    series.push({ height: b.height, blockTimeS: dt, txPerS: b.txs / dt });
  }

  const spread: SpreadView[] = [];
  for (const b of inWindow.filter((x) => x.seen.size > 0 && ![...x.seen.values()].includes(-1)).slice(-SPREAD_BLOCKS)) {
    const first = Math.min(...b.seen.values());
    spread.push({ hash: b.hash, height: b.height, delays: views.map((v) => (b.seen.has(v.index) ? b.seen.get(v.index)! - first : null)) });
  }
  return { blocks: tree, series, spread };
}
