/**
 * Invariant checks through the nodes' public RPC only, Jepsen style: what each node's ledger holds is
 * compared with what its own chain says it should hold, and the nodes with each other.
 *   supply           ledger supply = genesis allocations + the subsidies of the node's own main chain
 *   no-double-nonce  no (sender, nonce) confirmed twice on a node's main chain
 *   balances-agree   nodes at one tip hold identical account sets (sha256 digest of every account)
 *   tx-accounted     every transaction a node accepted is confirmed, or replaced/evicted for a reason
 * Each failure names the invariant, the node and the block involved.
 */
import { Cluster, ClusterNode } from './cluster.js';
import { AcceptedTx } from './load.js';

export interface CheckResult {
  name: string;
  pass: boolean;
  detail: string;
  node?: number;
  block?: { height: number; hash: string };
}

interface TxView {
  id: string;
  from: string;
  nonce: string;
  fee: string;
}

export interface BlockView {
  hash: string;
  height: number;
  prevHash: string;
  reward: string;
  txs: TxView[];
}

export interface LedgerSummary {
  height: number;
  tip: string;
  supply: string;
  accounts: number;
  digest: string;
}

/** Blocks by hash, shared by every node's walk (one fetch per block for the whole run). Capped. */
export class BlockCache {
  private readonly m = new Map<string, BlockView>();
  constructor(private readonly cap = 100_000) {}
  async get(cluster: Cluster, n: ClusterNode, hash: string): Promise<BlockView> {
    let b = this.m.get(hash);
    if (!b) {
      b = await cluster.rpc<BlockView>(n, 'getBlock', [hash]);
      if (this.m.size >= this.cap) this.m.delete(this.m.keys().next().value!);
      this.m.set(hash, b);
    }
    return b;
  }
}

/** The node's main chain from height 1 to `tip`, oldest first. */
export async function walkChain(cluster: Cluster, n: ClusterNode, tip: string, cache: BlockCache): Promise<BlockView[]> {
  const out: BlockView[] = [];
  for (let hash = tip; ; ) {
    const b = await cache.get(cluster, n, hash);
    if (b.height === 0) break;
    out.push(b);
    hash = b.prevHash;
    if (out.length > 1_000_000) throw new Error(`node ${n.index}: chain walk from ${tip} did not reach genesis`);
  }
  return out.reverse();
}

export interface NodeLedger {
  node: ClusterNode;
  summary: LedgerSummary;
  chain: BlockView[];
}

/** supply and no-double-nonce on one node. */
export async function checkNodeLedger(cluster: Cluster, n: ClusterNode, allocations: bigint, cache: BlockCache): Promise<{ ledger: NodeLedger; results: CheckResult[] }> {
  const summary = await cluster.rpc<LedgerSummary>(n, 'getLedgerSummary', [], 30_000);
  const chain = await walkChain(cluster, n, summary.tip, cache);
  const results: CheckResult[] = [];
  const block = { height: summary.height, hash: summary.tip };
  let issued = 0n;
  for (const b of chain) {
    let fees = 0n;
    for (const t of b.txs) fees += BigInt(t.fee);
    issued += BigInt(b.reward) - fees;
  }
  const expected = allocations + issued;
  const held = BigInt(summary.supply);
  results.push(
    held === expected
      ? { name: 'supply', pass: true, detail: `node ${n.index}: ${held} = allocations + ${issued} issued over ${chain.length} blocks`, node: n.index, block }
      : {
          name: 'supply',
          pass: false,
          detail: `node ${n.index} at block ${summary.height} ${summary.tip}: ledger holds ${held}, its chain allows ${expected} (allocations ${allocations} + issued ${issued}); difference ${held - expected > 0n ? '+' : ''}${held - expected}`,
          node: n.index,
          block,
        },
  );
  const seen = new Map<string, { id: string; height: number; hash: string }>();
  let dup: CheckResult | undefined;
  for (const b of chain)
    for (const t of b.txs) {
      const key = `${t.from}/${t.nonce}`;
      const prev = seen.get(key);
      if (prev && !dup)
        dup = {
          name: 'no-double-nonce',
          pass: false,
          detail: `node ${n.index}: sender ${t.from} nonce ${t.nonce} confirmed twice: tx ${prev.id} in block ${prev.height} ${prev.hash} and tx ${t.id} in block ${b.height} ${b.hash}`,
          node: n.index,
          block: { height: b.height, hash: b.hash },
        };
      seen.set(key, { id: t.id, height: b.height, hash: b.hash });
    }
  results.push(dup ?? { name: 'no-double-nonce', pass: true, detail: `node ${n.index}: ${seen.size} (sender, nonce) pairs, each once`, node: n.index });
  return { ledger: { node: n, summary, chain }, results };
}

/** Nodes at the same tip must hold the same accounts. */
export function checkBalancesAgree(ledgers: NodeLedger[]): CheckResult {
  const byTip = new Map<string, NodeLedger[]>();
  for (const l of ledgers) byTip.set(l.summary.tip, [...(byTip.get(l.summary.tip) ?? []), l]);
  for (const [tip, ls] of byTip) {
    const ref = ls[0]!;
    const odd = ls.find((l) => l.summary.digest !== ref.summary.digest);
    if (odd)
      return {
        name: 'balances-agree',
        pass: false,
        detail: `at block ${ref.summary.height} ${tip}: node ${odd.node.index} holds accounts digest ${odd.summary.digest.slice(0, 16)}… (supply ${odd.summary.supply}), node ${ref.node.index} holds ${ref.summary.digest.slice(0, 16)}… (supply ${ref.summary.supply})`,
        node: odd.node.index,
        block: { height: ref.summary.height, hash: tip },
      };
  }
  return { name: 'balances-agree', pass: true, detail: `${ledgers.length} nodes, ${byTip.size} tip(s), identical accounts at each` };
}

export interface TxOutcomes {
  confirmed: number;
  conflicted: number;
  removed: Map<string, number>;
  lostWithCrash: number;
  behindGap: number;
  unaccounted: string[];
}

/**
 * Classifies every accepted transaction against the reference chain (all live nodes agree on it by now).
 * @param removals tx id -> removal reason reported by any node (getArrivals)
 * @param seenBy tx id -> how many live nodes' arrival logs hold it
 * @param kills node -> times the runner killed or stopped it
 */
export function accountTxs(
  accepted: Iterable<AcceptedTx>,
  chain: BlockView[],
  removals: Map<string, string>,
  seenBy: Map<string, number>,
  kills: Map<number, number[]>,
): TxOutcomes {
  const confirmed = new Set<string>();
  const slot = new Map<string, string>();
  const maxNonce = new Map<string, bigint>();
  for (const b of chain)
    for (const t of b.txs) {
      confirmed.add(t.id);
      slot.set(`${t.from}/${t.nonce}`, t.id);
      const n = BigInt(t.nonce);
      if (n > (maxNonce.get(t.from) ?? -1n)) maxNonce.set(t.from, n);
    }
  const out: TxOutcomes = { confirmed: 0, conflicted: 0, removed: new Map(), lostWithCrash: 0, behindGap: 0, unaccounted: [] };
  for (const a of accepted) {
    if (confirmed.has(a.id)) out.confirmed++;
    else if (slot.has(`${a.sender}/${a.nonce}`)) out.conflicted++;
    else if (removals.has(a.id)) {
      const r = removals.get(a.id)!;
      out.removed.set(r, (out.removed.get(r) ?? 0) + 1);
    } else if ((kills.get(a.node) ?? []).some((t) => t >= a.at) && (seenBy.get(a.id) ?? 0) === 0) out.lostWithCrash++;
    else if ((maxNonce.get(a.sender) ?? -1n) + 1n < BigInt(a.nonce)) out.behindGap++;
    else out.unaccounted.push(a.id);
  }
  return out;
}

export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
