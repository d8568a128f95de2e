/**
 * Block templates on the current tip: the mempool's best transactions assembled with the chain's next
 * block context (pure assembly in template.ts). Used by the miner and by the `generate` RPC.
 * Imports chain-ring types only; no storage, no network.
 */
import { Chain } from '../chain/chain.js';
import { Mempool } from '../chain/mempool.js';
import { Block } from '../core/block.js';
import { ChainParams } from '../core/params.js';
import { assembleBlock } from './template.js';

/** Header and body fields outside the transactions, kept out of the transactions' byte budget. */
const BLOCK_OVERHEAD_BYTES = 200;

export interface TemplateSourceOptions {
  params: ChainParams;
  chain: Chain;
  mempool: Mempool;
  /** The node's clock (ms). */
  now: () => number;
  /** Who a template pays when the caller names nobody. */
  payee: () => Promise<Uint8Array>;
}

/** Returns `template(miner?)`: a block on the current tip paying `miner` (default: the payee). */
export function makeTemplateSource(o: TemplateSourceOptions): (miner?: Uint8Array) => Promise<Block> {
  return async (miner) => {
    const payTo = miner ?? (await o.payee());
    // Select first, then read the tip: the context then matches the state the selection saw
    // unless a block arrived in between, which the miner's onTipChanged abort covers.
    const txs = await o.mempool.selectForBlock(o.params.maxBlockTxs, o.params.maxBlockBytes - BLOCK_OVERHEAD_BYTES);
    const ctx = o.chain.nextBlockContext();
    return assembleBlock(o.params, {
      parentHash: ctx.parentHash,
      parentHeight: ctx.parentHeight,
      bits: ctx.bits,
      timestamp: Math.max(o.now(), ctx.minTimestamp),
      miner: payTo,
      txs,
    });
  };
}
