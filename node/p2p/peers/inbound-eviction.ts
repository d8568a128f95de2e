/**
 * Which inbound peer to drop when the inbound slots are full and another node wants in, after Bitcoin
 * Core's SelectNodeToEvict (net.cpp). Without it, whoever opened the slots first keeps them: 32 node ids
 * from one IP would lock every honest node out. Protected, in order (each step from those still left):
 *   - 4 peers from distinct netgroups (random choice: an attacker cannot predict which);
 *   - the 8 with the lowest ping;
 *   - the 4 that most recently gave us a new transaction, and the 4 that most recently gave us a block;
 *   - half of the rest, by longest uptime.
 * From what remains, the netgroup with the most connections loses its youngest member. Only inbound peers
 * are ever candidates: outbound peers are our own choice and never evicted.
 *
 * PURE: no I/O, no clock, randomness injected. Imports nothing.
 */

export interface EvictionCandidate<T = unknown> {
  peer: T;
  netgroup: string;
  /** null: no pong yet (counts as slowest). */
  latencyMs: number | null;
  lastBlockAt: number;
  lastTxAt: number;
  connectedAt: number;
}

export const PROTECT_BY_NETGROUP = 4;
export const PROTECT_BY_PING = 8;
export const PROTECT_BY_TX = 4;
export const PROTECT_BY_BLOCK = 4;

/** The peer to evict, or undefined when every candidate is protected. */
export function selectEvictionCandidate<T>(candidates: readonly EvictionCandidate<T>[], random: () => number): T | undefined {
  let left = [...candidates];
  // Distinct netgroups, chosen at random.
  const shuffled = left.map((c) => ({ c, r: random() })).sort((a, b) => a.r - b.r).map((x) => x.c);
  const protectedGroups = new Set<string>();
  const keep = new Set<EvictionCandidate<T>>();
  for (const c of shuffled) {
    if (keep.size >= PROTECT_BY_NETGROUP) break;
    if (protectedGroups.has(c.netgroup)) continue;
    protectedGroups.add(c.netgroup);
    keep.add(c);
  }
  left = left.filter((c) => !keep.has(c));
  left = dropBest(left, PROTECT_BY_PING, (a, b) => (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity));
  left = dropBest(left, PROTECT_BY_TX, (a, b) => b.lastTxAt - a.lastTxAt, (c) => c.lastTxAt > 0);
  left = dropBest(left, PROTECT_BY_BLOCK, (a, b) => b.lastBlockAt - a.lastBlockAt, (c) => c.lastBlockAt > 0);
  left = dropBest(left, Math.floor(left.length / 2), (a, b) => a.connectedAt - b.connectedAt);
  if (left.length === 0) return undefined;
  const groups = new Map<string, EvictionCandidate<T>[]>();
  for (const c of left) groups.set(c.netgroup, [...(groups.get(c.netgroup) ?? []), c]);
  let worst: EvictionCandidate<T>[] | undefined;
  for (const g of groups.values()) {
    const youngest = (list: EvictionCandidate<T>[]) => Math.max(...list.map((c) => c.connectedAt));
    if (!worst || g.length > worst.length || (g.length === worst.length && youngest(g) > youngest(worst))) worst = g;
  }
  return worst!.reduce((a, b) => (b.connectedAt > a.connectedAt ? b : a)).peer;
}

/** `list` without its `n` best by `better` (only among those passing `eligible`). */
function dropBest<C>(list: C[], n: number, better: (a: C, b: C) => number, eligible: (c: C) => boolean = () => true): C[] {
  const best = new Set(list.filter(eligible).sort(better).slice(0, n));
  return list.filter((c) => !best.has(c));
}
