/**
 * What the chain reports when its tip moves (the 'tip' event): the new tip and the blocks a move
 * disconnected and connected, found by walking both branches back to their fork point. No I/O.
 * Imports core and sibling chain modules only.
 */
import { Block } from '../core/block.js';
import { BlockIndex, IndexNode } from './block-index.js';

export interface TipInfo {
  hash: Uint8Array;
  hashHex: string;
  height: number;
  work: bigint;
  timestamp: number;
}

export interface TipChange {
  tip: TipInfo;
  connected: Block[];
  disconnected: Block[];
}

export function tipInfo(n: IndexNode): TipInfo {
  return { hash: n.hash, hashHex: n.hex, height: n.height, work: n.work, timestamp: n.header.timestamp };
}

/**
 * The move from `before` to `after`: disconnected blocks tip first, connected blocks in chain order.
 * A block `blockOf` does not hold is left out.
 */
export function tipChangeOf(index: BlockIndex, before: IndexNode, after: IndexNode, blockOf: (hex: string) => Block | undefined): TipChange {
  const fork = index.forkPoint(before, after);
  const disconnected: Block[] = [];
  for (let n: IndexNode | undefined = before; n && n !== fork; n = n.parent) {
    const b = blockOf(n.hex);
    if (b) disconnected.push(b);
  }
  const connected: Block[] = [];
  for (let n: IndexNode | undefined = after; n && n !== fork; n = n.parent) {
    const b = blockOf(n.hex);
    if (b) connected.unshift(b);
  }
  return { tip: tipInfo(after), connected, disconnected };
}
