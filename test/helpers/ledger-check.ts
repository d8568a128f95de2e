/**
 * Ledger consistency checks for tests: recompute account state by replaying the main chain from the
 * genesis allocations with the pure core, and compare it with what the ledger stores.
 */
import { Chain } from '../../node/chain/chain.js';
import { toHex } from '../../node/core/bytes.js';
import { connectBlockState } from '../../node/core/check-block.js';
import { ChainParams } from '../../node/core/params.js';
import { Account, MapStateView, StateOverlay } from '../../node/core/state-view.js';
import { Block } from '../../node/core/block.js';

/** State after applying `blocks` (in order, genesis excluded) to the genesis allocations. */
export function replayState(params: ChainParams, blocks: Block[]): Map<string, Account> {
  const state = new Map<string, Account>();
  for (const a of params.allocations) {
    const k = toHex(a.address);
    const prev = state.get(k)?.balance ?? 0n;
    state.set(k, { balance: prev + a.balance, nonce: 0n });
  }
  for (const b of blocks) {
    const overlay = new StateOverlay(new MapStateView(state));
    const v = connectBlockState(b, overlay, params);
    if (!v.ok) throw new Error(`replay failed at height ${b.header.height}: ${v.reason}`);
    for (const [k, a] of overlay.changed()) state.set(k, a);
  }
  for (const [k, a] of state) if (a.balance === 0n && a.nonce === 0n) state.delete(k);
  return state;
}

export async function mainChainBlocks(chain: Chain): Promise<Block[]> {
  const out: Block[] = [];
  for (let h = 1; h <= chain.height; h++) {
    const hash = chain.mainHashAt(h);
    if (!hash) throw new Error(`no main hash at ${h}`);
    const b = await chain.getBlock(hash);
    if (!b) throw new Error(`missing block at ${h}`);
    out.push(b);
  }
  return out;
}

export function stateToObject(m: Map<string, Account>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const k of [...m.keys()].sort()) o[k] = `${m.get(k)!.balance}/${m.get(k)!.nonce}`;
  return o;
}

/** Asserts-by-throwing that stored state equals a replay of the stored main chain. */
export async function checkLedgerConsistent(chain: Chain): Promise<void> {
  const expected = stateToObject(replayState(chain.params, await mainChainBlocks(chain)));
  const actual = stateToObject(await chain.allAccounts());
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`ledger state differs from replay at height ${chain.height}:\n stored ${a}\n replay ${e}`);
  // The tip is fully connected: every tx of the tip block is indexed at the tip.
  const tip = await chain.getBlock(chain.tip.hash);
  for (const [i, tx] of (tip?.txs ?? []).entries()) {
    const { txId } = await import('../../node/core/tx.js');
    const loc = await chain.getTxLocation(txId(tx));
    if (!loc || loc.height !== chain.height || loc.position !== i) throw new Error('tip block is not fully connected (tx index missing)');
  }
}
