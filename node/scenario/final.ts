/**
 * End of a scenario: stop the load, mine the mempools empty, converge, then check every invariant
 * (checks.ts) on every live node and gather the figures: convergence time, reorg depth, propagation
 * spread per block and per tx (p50 / p99 from the nodes' first-seen times), confirmed tx/s.
 */
import { accountTxs, checkBalancesAgree, checkNodeLedger, NodeLedger, percentile } from './checks.js';
import type { ScenarioRun } from './runner.js';

export interface Figures {
  blocks: number;
  height: number;
  txAccepted: number;
  txRejected: Record<string, number>;
  txConfirmed: number;
  confirmedTxPerSec: number;
  convergenceMs: { count: number; max: number | null };
  reorgs: { count: number; maxDepth: number };
  blockPropagationMs: { samples: number; p50: number | null; p99: number | null };
  txPropagationMs: { samples: number; p50: number | null; p99: number | null };
  txOutcomes: { confirmed: number; conflicted: number; removed: Record<string, number>; lostWithCrashedNode: number; behindLostNonce: number; unaccounted: number };
  maxRssMb: number;
}

interface ArrivalsView {
  blocks: { hash: string; t: number }[];
  txs: { id: string; t: number }[];
  removals: { id: string; reason: string }[];
  reorgs: { count: number; maxDepth: number };
}

/** Rounds of "mine one block" while some mempool still holds transactions. */
const DRAIN_ROUNDS = 4;

export async function finalChecks(run: ScenarioRun): Promise<Figures> {
  const { cluster, results } = run;
  await run.load.stop();
  await run.stopMining();
  // Mine the mempools empty, then converge: every check below reads one quiet, common tip.
  for (let i = 0; i < DRAIN_ROUNDS; i++) {
    const sizes = await Promise.all(cluster.live().map((n) => cluster.rpc<{ mempool: number }>(n, 'getInfo').then((x) => x.mempool)));
    if (sizes.every((s) => s === 0)) break;
    await run.generate(run.cluster.live()[0]!, 1).catch(() => {});
    await run.waitFor('', 5000, async () => (await Promise.all(cluster.live().map((n) => cluster.rpc<{ mempool: number }>(n, 'getInfo')))).every((x) => x.mempool === 0), true);
  }
  await run.converge(cluster.live(), 'converged', true);
  const live = cluster.live();
  const allocations = run.params.allocations.reduce((a, x) => a + x.balance, 0n);
  const cache = run.blockCache;
  const ledgers: NodeLedger[] = [];
  for (const n of live) {
    const { ledger, results: r } = await checkNodeLedger(cluster, n, allocations, cache);
    ledgers.push(ledger);
    results.push(...r);
  }
  results.push(checkBalancesAgree(ledgers));

  const arrivals = await Promise.all(live.map((n) => cluster.rpc<ArrivalsView>(n, 'getArrivals', [], 30_000)));
  const removals = new Map<string, string>();
  const seenBy = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  const reorgs = { count: 0, maxDepth: 0 };
  for (const a of arrivals) {
    for (const r of a.removals) removals.set(r.id, r.reason);
    for (const t of a.txs) seenBy.set(t.id, (seenBy.get(t.id) ?? 0) + 1);
    for (const x of [...a.txs.map((t) => ({ k: t.id, t: t.t })), ...a.blocks.map((b) => ({ k: b.hash, t: b.t }))]) firstSeen.set(x.k, Math.min(firstSeen.get(x.k) ?? Infinity, x.t));
    reorgs.count += a.reorgs.count;
    reorgs.maxDepth = Math.max(reorgs.maxDepth, a.reorgs.maxDepth);
  }
  // A node counts for an item's spread only if it was running when the item first appeared anywhere:
  // a node that (re)started later fetched it by catching up, which is sync time, not propagation.
  const blockTimes = new Map<string, number[]>();
  const txTimes = new Map<string, number[]>();
  arrivals.forEach((a, i) => {
    const since = live[i]!.startedAt;
    const add = (m: Map<string, number[]>, k: string, t: number) => {
      if (firstSeen.get(k)! >= since) m.set(k, [...(m.get(k) ?? []), t]);
    };
    for (const t of a.txs) add(txTimes, t.id, t.t);
    for (const b of a.blocks) add(blockTimes, b.hash, b.t);
  });
  const reference = ledgers[0]!;
  const outcomes = accountTxs(run.load.accepted.values(), reference.chain, removals, seenBy, run.kills);
  const removedTotal = [...outcomes.removed.values()].reduce((a, b) => a + b, 0);
  results.push(
    outcomes.unaccounted.length === 0
      ? {
          name: 'tx-accounted',
          pass: true,
          detail: `${run.load.accepted.size} accepted: ${outcomes.confirmed} confirmed, ${outcomes.conflicted} nonce taken by another tx, ${removedTotal} removed with a reason, ${outcomes.lostWithCrash} lost with a killed node, ${outcomes.behindGap} behind a lost nonce${run.load.untracked ? ` (${run.load.untracked} more beyond the record's cap, not checked)` : ''}`,
        }
      : {
          name: 'tx-accounted',
          pass: false,
          detail: `${outcomes.unaccounted.length} accepted transaction(s) neither confirmed on node ${reference.node.index}'s chain (tip ${reference.summary.height} ${reference.summary.tip}) nor removed for a reason, e.g. ${outcomes.unaccounted.slice(0, 3).join(', ')}`,
          node: reference.node.index,
          block: { height: reference.summary.height, hash: reference.summary.tip },
        },
  );

  // Spreads of items first seen while a partition held measure the partition, not propagation.
  const inPartition = (t: number) => run.partitionWindows.some(([a, b]) => t >= a && t <= b);
  const spreads = (m: Map<string, number[]>) =>
    [...m.values()].filter((ts) => ts.length >= 2 && !inPartition(Math.min(...ts))).map((ts) => Math.max(...ts) - Math.min(...ts));
  const bs = spreads(blockTimes);
  const ts = spreads(txTimes);
  const seconds = run.load.activeMs / 1000;
  return {
    blocks: run.blocksMined,
    height: reference.summary.height,
    txAccepted: run.load.accepted.size,
    txRejected: Object.fromEntries(run.load.rejected),
    txConfirmed: outcomes.confirmed,
    confirmedTxPerSec: seconds > 0 ? Math.round((outcomes.confirmed / seconds) * 100) / 100 : 0,
    convergenceMs: { count: run.convergeMs.length, max: run.convergeMs.length ? Math.max(...run.convergeMs) : null },
    reorgs,
    blockPropagationMs: { samples: bs.length, p50: percentile(bs, 50), p99: percentile(bs, 99) },
    txPropagationMs: { samples: ts.length, p50: percentile(ts, 50), p99: percentile(ts, 99) },
    txOutcomes: {
      confirmed: outcomes.confirmed,
      conflicted: outcomes.conflicted,
      removed: Object.fromEntries(outcomes.removed),
      lostWithCrashedNode: outcomes.lostWithCrash,
      behindLostNonce: outcomes.behindGap,
      unaccounted: outcomes.unaccounted.length,
    },
    maxRssMb: Math.round(Math.max(0, ...run.rssMaxMb.values())),
  };
}
