/**
 * Split and heal for the dashboard's buttons: a partition is made by each node's own test-only
 * setPeerFilter RPC (nodes started with --allow-faults, as `npm run testnet` does by default), every
 * node denying the nodeIds of the nodes on the other side(s) in both directions; heal clears every
 * filter. The node ids come from getInfo (the collector's last known id for a node that is down).
 *
 * All or nothing: when a running node refuses (no --allow-faults, or no answer), the filters already
 * set are cleared again and the split fails with one line per refusing node, so the page never shows a
 * partition that is not there. A node that is down gets no filter and the split says so; a node
 * restarted during a split comes back unfiltered (the filter lives in the node's memory).
 */
import { rpcCall } from '../rpc/client.js';
import { RpcError } from '../rpc/errors.js';
import { DashboardNodeSource } from './collector.js';

/** What the server calls; resolves with the line for the event list, rejects with one line per failure. */
export interface PartitionControls {
  split(groups: number[][]): Promise<string>;
  heal(): Promise<string>;
}

export interface PartitionerOptions {
  nodes: () => DashboardNodeSource[];
  /** The nodeId last seen for a node (for one that is down now), or null. */
  knownId: (index: number) => string | null;
  rpcTimeoutMs?: number;
}

/** A split's groups: at least two, none empty, every node of the testnet in exactly one. @throws Error */
export function checkGroups(groups: unknown, indexes: number[]): number[][] {
  const where = 'groups';
  if (!Array.isArray(groups) || groups.length < 2 || groups.length > indexes.length) throw new Error(`${where}: expected 2..${indexes.length} groups of node numbers`);
  const seen = new Set<number>();
  const known = new Set(indexes);
  const out = groups.map((g, i) => {
    if (!Array.isArray(g) || g.length === 0) throw new Error(`${where}: group ${i + 1} is empty`);
    return g.map((x) => {
      if (typeof x !== 'number' || !known.has(x)) throw new Error(`${where}: no node${String(x).slice(0, 20)} in this testnet`);
      if (seen.has(x)) throw new Error(`${where}: node${x} is in two groups`);
      seen.add(x);
      return x;
    });
  });
  const missing = indexes.filter((i) => !seen.has(i));
  if (missing.length > 0) throw new Error(`${where}: ${missing.map((i) => `node${i}`).join(', ')} in no group (it would join the two sides)`);
  return out;
}

/** "1,2 | 3,4" for the event list. */
export function formatGroups(groups: number[][]): string {
  return groups.map((g) => g.join(',')).join(' | ');
}

function oneLine(index: number, e: unknown): string {
  // RpcError messages are the node's own one-line reason; other errors name the URL (with a cookie): leave it out.
  const why = e instanceof RpcError ? e.message : 'no answer';
  return `node${index}: ${why}`;
}

export class Partitioner implements PartitionControls {
  constructor(private readonly o: PartitionerOptions) {}

  private get timeout(): number {
    return this.o.rpcTimeoutMs ?? 3000;
  }

  private filter(s: DashboardNodeSource, deny: string[]): Promise<unknown> {
    return rpcCall(s.rpc, 'setPeerFilter', [{ deny }], this.timeout);
  }

  /** @throws Error with the refusals (filters set meanwhile are cleared again) */
  async split(groupsIn: number[][]): Promise<string> {
    const nodes = this.o.nodes();
    const groups = checkGroups(groupsIn, nodes.map((n) => n.index));
    const live = nodes.filter((n) => n.exited() === undefined);
    const down = nodes.filter((n) => n.exited() !== undefined).map((n) => n.index);
    // Ids: from the node itself when it runs, else the last one the collector saw.
    const ids = new Map<number, string>();
    const failures: string[] = [];
    await Promise.all(
      live.map(async (n) => {
        try {
          ids.set(n.index, (await rpcCall<{ nodeId: string }>(n.rpc, 'getInfo', [], this.timeout)).nodeId);
        } catch (e) {
          failures.push(oneLine(n.index, e));
        }
      }),
    );
    for (const i of down) {
      const id = this.o.knownId(i);
      if (id) ids.set(i, id);
    }
    if (failures.length > 0) throw new Error(`split not applied: ${failures.sort().join('; ')}`);
    const groupOf = new Map<number, number>();
    groups.forEach((g, gi) => g.forEach((i) => groupOf.set(i, gi)));
    const done: DashboardNodeSource[] = [];
    await Promise.all(
      live.map(async (n) => {
        const deny = [...ids].filter(([i]) => groupOf.get(i) !== groupOf.get(n.index)).map(([, id]) => id);
        try {
          await this.filter(n, deny);
          done.push(n);
        } catch (e) {
          failures.push(oneLine(n.index, e));
        }
      }),
    );
    if (failures.length > 0) {
      await Promise.all(done.map((n) => this.filter(n, []).catch(() => {})));
      throw new Error(`split not applied: ${failures.sort().join('; ')}`);
    }
    const note = down.length > 0 ? ` (${down.map((i) => `node${i}`).join(', ')} down: no filter, it comes back unpartitioned)` : '';
    return `split ${formatGroups(groups)}: each side refuses the other (setPeerFilter)${note}`;
  }

  /** Clears every running node's filter. @throws Error naming the nodes that refused */
  async heal(): Promise<string> {
    const live = this.o.nodes().filter((n) => n.exited() === undefined);
    const failures: string[] = [];
    await Promise.all(live.map((n) => this.filter(n, []).catch((e: unknown) => void failures.push(oneLine(n.index, e)))));
    if (failures.length > 0) throw new Error(`heal incomplete: ${failures.sort().join('; ')}`);
    return `healed: ${live.length} node${live.length === 1 ? '' : 's'} accept every peer again`;
  }
}
