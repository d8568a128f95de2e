/**
 * The faults a scenario injects, through the nodes' test-only RPC controls: partitions (a peer filter
 * per side) and heal, kill -9 and restart, churn, clock skew, slow links, a node joining through a
 * non-seed, and ledger tampering outside any block. Remembers what stays in force (the partition
 * groups, the link fault) so a restarted or added node gets it too, which node was killed last, and
 * when the last fault happened (convergence is measured from it). Talks to nodes only through the
 * cluster; imports nothing of the runner.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { devAccounts } from '../core/dev-accounts.js';
import { ChainParams } from '../core/params.js';
import { Cluster, ClusterNode } from './cluster.js';
import { tamperAccount } from './tamper.js';

export interface LinkFault {
  delayMs: number;
  jitterMs: number;
  dropPerMinute: number;
}

export interface FaultInjectorOptions {
  cluster: Cluster;
  params: ChainParams;
  /** The first `seedCount` nodes are the seeds: churn and add-node leave them alone. */
  seedCount: number;
  /** Picks one of the given nodes (seeded, so a run repeats). @throws when there is none */
  pick: (xs: ClusterNode[]) => ClusterNode;
  /** Progress lines. */
  say: (line: string) => void;
}


export class FaultInjector {
  /** node index -> times the scenario killed it. */
  readonly kills = new Map<number, number[]>();
  /** [from, to] times while a partition held: block spreads then measure the partition, not propagation. */
  readonly partitionWindows: [number, number][] = [];
  private groupsNow: number[][] | undefined;
  private linkFault: LinkFault | undefined;
  private lastKilledNode: ClusterNode | undefined;
  private lastFault = Date.now();
  private readonly cluster: Cluster;

  constructor(private readonly o: FaultInjectorOptions) {
    this.cluster = o.cluster;
  }

  /** Node indexes per side while a partition holds, else undefined. */
  get groups(): number[][] | undefined {
    return this.groupsNow;
  }

  /** The node the scenario killed last, if any. */
  get lastKilled(): ClusterNode | undefined {
    return this.lastKilledNode;
  }

  /** When the last fault (or heal, restart, join) happened. */
  get lastFaultAt(): number {
    return this.lastFault;
  }

  async partition(split: number[]): Promise<void> {
    const live = this.cluster.live();
    const total = split.reduce((a, b) => a + b, 0);
    const groups: number[][] = [];
    let at = 0;
    split.forEach((w, i) => {
      const size = i === split.length - 1 ? live.length - at : Math.max(1, Math.round((w / total) * live.length));
      groups.push(live.slice(at, at + size).map((n) => n.index));
      at += size;
    });
    this.groupsNow = groups.filter((g) => g.length > 0);
    this.partitionWindows.push([Date.now(), Number.MAX_SAFE_INTEGER]);
    this.o.say(`partition ${this.groupsNow.map((g) => g.join(',')).join(' | ')}`);
    await Promise.all(live.map((n) => this.applyFilter(n)));
    this.lastFault = Date.now();
  }

  private applyFilter(n: ClusterNode): Promise<unknown> {
    const mine = this.groupsNow?.find((g) => g.includes(n.index));
    const deny = mine ? this.cluster.nodes.filter((m) => !mine.includes(m.index) && m.nodeId).map((m) => m.nodeId) : [];
    return this.cluster.rpc(n, 'setPeerFilter', [{ deny }]);
  }

  async heal(): Promise<void> {
    this.groupsNow = undefined;
    const w = this.partitionWindows[this.partitionWindows.length - 1];
    if (w) w[1] = Date.now();
    await Promise.all(this.cluster.live().map((n) => this.applyFilter(n)));
    this.lastFault = Date.now();
  }

  async kill(n: ClusterNode): Promise<void> {
    this.kills.set(n.index, [...(this.kills.get(n.index) ?? []), Date.now()]);
    await this.cluster.kill(n);
    this.lastKilledNode = n;
    this.lastFault = Date.now();
  }

  async restart(n: ClusterNode): Promise<void> {
    await this.cluster.start(n);
    if (this.groupsNow) await this.applyFilter(n);
    if (this.linkFault) await this.cluster.rpc(n, 'setLinkFault', [this.linkFault]);
    this.lastFault = Date.now();
  }

  async churn(everyMs: number, forMs: number, downMs: number): Promise<void> {
    const end = Date.now() + forMs;
    let rounds = 0;
    while (Date.now() < end && rounds++ < 1000) {
      const began = Date.now();
      const candidates = this.cluster.live().filter((n) => n.index > this.o.seedCount);
      if (candidates.length === 0) break;
      const victim = this.o.pick(candidates);
      this.o.say(`churn: kill -9 node ${victim.index}, restart in ${downMs} ms`);
      await this.kill(victim);
      await sleep(downMs);
      await this.restart(victim);
      await sleep(Math.max(0, everyMs - (Date.now() - began)));
    }
  }

  async skew(n: ClusterNode, offsetMs: number): Promise<void> {
    await this.cluster.rpc(n, 'setMockTime', [offsetMs === 0 ? 0 : Date.now() + offsetMs]);
    this.lastFault = Date.now();
  }

  async slowLinks(f: LinkFault): Promise<void> {
    this.linkFault = f.delayMs + f.jitterMs + f.dropPerMinute > 0 ? f : undefined;
    await Promise.all(this.cluster.live().map((n) => this.cluster.rpc(n, 'setLinkFault', [f])));
    this.lastFault = Date.now();
  }

  async addNode(): Promise<void> {
    const via = this.o.pick(this.cluster.live().filter((n) => n.index > this.o.seedCount));
    const n = this.cluster.add([via.p2pUrl]);
    this.o.say(`node ${n.index} joins through node ${via.index} (${via.p2pUrl}), not a seed`);
    await this.cluster.start(n);
    if (this.linkFault) await this.cluster.rpc(n, 'setLinkFault', [this.linkFault]);
    this.lastFault = Date.now();
  }

  async tamper(n: ClusterNode, account: number, amount: bigint, nonce?: bigint): Promise<void> {
    const dev = this.o.params.devAccounts;
    if (!dev) throw new Error('tamper: the genesis has no dev accounts');
    const acct = devAccounts(account + 1, dev.seed)[account]!;
    await this.cluster.stop(n);
    const r = await tamperAccount(n.datadir, acct.addressHash, amount, nonce);
    this.o.say(`tamper: node ${n.index} ledger, dev account ${account} balance ${r.before.balance} -> ${r.after.balance}, nonce ${r.before.nonce} -> ${r.after.nonce} (outside any block)`);
    await this.cluster.start(n);
  }
}
