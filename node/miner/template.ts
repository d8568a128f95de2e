/**
 * Block assembly: given a parent, the miner's address, the chosen transactions and the context
 * values the rules demand, builds an unsolved block whose merkle root and reward are right. Pure.
 */
import { Block, BLOCK_VERSION, computeMerkleRoot } from '../core/block.js';
import { Tx } from '../core/tx.js';
import { ChainParams, subsidyAt } from '../core/params.js';

export interface TemplateInput {
  parentHash: Uint8Array;
  parentHeight: number;
  /** Already the expected bits for parentHeight + 1. */
  bits: number;
  /** Must exceed the median time past; callers use max(now, mtp + 1). */
  timestamp: number;
  miner: Uint8Array;
  /** In block order, already valid against the parent's state. */
  txs: Tx[];
}

export function assembleBlock(params: Pick<ChainParams, 'subsidy' | 'halvingInterval'>, t: TemplateInput): Block {
  const height = t.parentHeight + 1;
  let fees = 0n;
  for (const tx of t.txs) fees += tx.fee;
  const reward = subsidyAt(params, height) + fees;
  const partial = { header: { height }, miner: t.miner, reward, txs: t.txs };
  const { root } = computeMerkleRoot(partial);
  return {
    header: {
      version: BLOCK_VERSION,
      height,
      prevHash: t.parentHash,
      merkleRoot: root,
      timestamp: t.timestamp,
      bits: t.bits,
      nonce: 0n,
    },
    miner: t.miner,
    reward,
    txs: t.txs,
  };
}
