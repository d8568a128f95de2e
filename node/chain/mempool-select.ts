/**
 * Block template selection from the mempool: by fee rate, highest first, but each sender's chain in
 * nonce order, each transaction applied to an overlay of the tip state with core applyTx, so the
 * result is exactly what connectBlockState accepts at the tip. Reads tip accounts through the
 * function it is given; no storage, no network. Imports core and sibling chain modules only.
 */
import { toHex } from '../core/bytes.js';
import { applyTx } from '../core/check-tx.js';
import { Account, MapStateView, StateOverlay, addressFromKey } from '../core/state-view.js';
import { Tx } from '../core/tx.js';
import { Heap } from './heap.js';
import { PoolEntry, minesBefore } from './mempool-entry.js';

/**
 * Up to `maxTxs` transactions of at most `maxBytes` encoded bytes in all, from the senders' chains
 * (`bySender`: each sender's entries sorted by nonce), valid in order at the tip `getAccounts` reads.
 */
export async function selectTxs(
  bySender: ReadonlyMap<string, PoolEntry[]>,
  getAccounts: (addresses: Uint8Array[]) => Promise<Map<string, Account>>,
  maxTxs: number,
  maxBytes: number,
): Promise<Tx[]> {
  const addresses = new Map<string, Uint8Array>();
  for (const chain of bySender.values())
    for (const e of chain) addresses.set(e.senderHex, e.sender).set(toHex(e.tx.to), e.tx.to);
  const view = new StateOverlay(new MapStateView(await getAccounts([...addresses.values()])));
  const heads = new Heap<{ chain: PoolEntry[]; i: number }>((a, b) => minesBefore(a.chain[a.i]!, b.chain[b.i]!));
  for (const chain of bySender.values()) heads.push({ chain, i: 0 });
  const out: Tx[] = [];
  let bytes = 0;
  while (out.length < maxTxs) {
    const cur = heads.pop();
    if (!cur) break;
    const e = cur.chain[cur.i]!;
    // Skipping one would leave its successors with a gap, so the sender's chain ends here.
    if (bytes + e.size > maxBytes) continue;
    // A trial layer, because applyTx can fail after debiting the sender (recipient overflow).
    const trial = new StateOverlay(view);
    const v = applyTx(e.tx, trial, e.sender);
    if (v.ok) {
      for (const [key, acct] of trial.changed()) view.set(addressFromKey(key), acct);
      out.push(e.tx);
      bytes += e.size;
    } else if (v.reason !== 'tx-nonce-too-low') continue; // a stale entry (tip moved, not yet followed) is skipped alone
    if (cur.i + 1 < cur.chain.length) heads.push({ chain: cur.chain, i: cur.i + 1 });
  }
  return out;
}
