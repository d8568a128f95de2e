/**
 * The scenario runner: starts a cluster of node processes, plays a scenario's timeline (load, mining,
 * partitions, kills, clock skew, slow links, seed loss), checks invariants during the run and at the
 * end (final.ts), and returns a report (report.ts prints it). Everything goes through the nodes'
 * public RPC; faults (applied by fault-injector.ts) use the test-only controls, so every node runs
 * with --allow-faults. Every wait is bounded; every process is stopped by PID in `finally`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { rm } from 'node:fs/promises';
import { devAccounts } from '../core/dev-accounts.js';
import { ChainParams } from '../core/params.js';
import { BlockCache, CheckResult, checkBalancesAgree, checkNodeLedger, NodeLedger } from './checks.js';
import { Cluster, ClusterNode } from './cluster.js';
import { expectAccepted, expectHeld, expectRefused } from './expectations.js';
import { FaultInjector } from './fault-injector.js';
import { finalChecks, Figures } from './final.js';
import { LoadGenerator } from './load.js';
import { NodeRef, Scenario, Step } from './scenario.js';
import { seededRandom } from '../core/seeded-random.js';

export interface RunOptions {
  dir: string;
  basePort: number;
  nodes?: number;
  seed?: number;
  /** Multiplies every duration in the steps (not the invariant bounds). Default 1. */
  scale?: number;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
  logLevel?: string;
  /** Keep the node datadirs after the run (default: removed when every invariant passed). */
  keep?: boolean;
}

export interface RunReport {
  scenario: string;
  seed: number;
  nodes: number;
  pass: boolean;
  durationMs: number;
  results: CheckResult[];
  figures: Figures;
  dir: string;
}

export const DEFAULT_CONVERGE_MS = 30_000;
export const DEFAULT_MAX_RSS_MB = 512;
const PEER_WAIT_MS = 20_000;
/** While converging with mining paused: one block on the majority branch this often, to end ties. */
const TIE_BREAK_MS = 1500;

export { seededRandom };


export class ScenarioRun {
  readonly cluster: Cluster;
  readonly load: LoadGenerator;
  readonly results: CheckResult[] = [];
  readonly random: () => number;
  private readonly faults: FaultInjector;
  /** node index -> times the scenario killed it (the fault injector's record). */
  readonly kills: Map<number, number[]>;
  readonly convergeMs: number[] = [];
  readonly rssMaxMb = new Map<number, number>();
  readonly seedCount: number;
  readonly convergeBound: number;
  readonly maxRssMb: number;
  blocksMined = 0;
  /** Blocks fetched for chain walks, shared by every check of the run. */
  readonly blockCache = new BlockCache();
  /** [from, to] times while a partition held: block spreads then measure the partition, not propagation. */
  readonly partitionWindows: [number, number][];
  private mineTimer: NodeJS.Timeout | undefined;
  private minePaused = false;
  private readonly mining = new Set<Promise<unknown>>();
  private monitor: NodeJS.Timeout | undefined;
  private rssFailed = new Set<number>();
  private readonly scale: number;

  constructor(readonly scenario: Scenario, readonly params: ChainParams, readonly o: RunOptions) {
    this.random = seededRandom(o.seed ?? 1);
    this.scale = o.scale ?? 1;
    this.seedCount = Math.min(scenario.seeds ?? 2, o.nodes ?? scenario.nodes);
    this.convergeBound = scenario.convergeWithinMs ?? DEFAULT_CONVERGE_MS;
    this.maxRssMb = scenario.maxRssMb ?? DEFAULT_MAX_RSS_MB;
    this.cluster = new Cluster({ dir: o.dir, basePort: o.basePort, extraArgs: ['--refresh-interval', '1000'], logLevel: o.logLevel ?? 'info' });
    const dev = params.devAccounts;
    const accounts = dev ? devAccounts(dev.count, dev.seed) : [];
    this.load = new LoadGenerator(this.cluster, accounts, params.chainId, params.minFee, this.random);
    this.faults = new FaultInjector({ cluster: this.cluster, params, seedCount: this.seedCount, pick: (xs) => this.pick(xs), say: (line) => this.say(line) });
    this.kills = this.faults.kills;
    this.partitionWindows = this.faults.partitionWindows;
  }

  private say(line: string): void {
    this.o.progress?.(`[${((Date.now() - this.startedAt) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  }

  private startedAt = Date.now();

  async run(): Promise<RunReport> {
    this.startedAt = Date.now();
    let figures: Figures | undefined;
    try {
      this.monitor = setInterval(() => void this.sampleRss(), 1000);
      for (const [i, step] of this.scenario.steps.entries()) {
        this.say(`step ${i + 1}/${this.scenario.steps.length}: ${describe(step)}`);
        await this.step(step);
      }
      this.say('final checks');
      figures = await finalChecks(this);
    } catch (e) {
      this.results.push({ name: 'scenario-completed', pass: false, detail: (e as Error).message });
    } finally {
      clearInterval(this.monitor);
      await this.stopMining();
      await this.load.stop();
      await Promise.allSettled([...this.mining]);
      await this.cluster.shutdown();
    }
    for (const x of this.cluster.unexpectedExits)
      this.results.push({ name: 'no-unexpected-death', pass: false, detail: `node ${x.node} exited (code ${x.code}, signal ${x.signal}) without the scenario killing it; see ${x.log}`, node: x.node });
    if (this.cluster.unexpectedExits.length === 0) this.results.push({ name: 'no-unexpected-death', pass: true, detail: `${this.cluster.nodes.length} nodes, only the scenario's kills` });
    if (this.rssFailed.size === 0) {
      const max = Math.max(0, ...this.rssMaxMb.values());
      this.results.push({ name: 'rss-bounded', pass: true, detail: `max ${max.toFixed(0)} MiB (bound ${this.maxRssMb} MiB)` });
    }
    const pass = this.results.every((r) => r.pass);
    if (pass && !this.o.keep) await rm(this.o.dir, { recursive: true, force: true });
    return {
      scenario: this.scenario.name,
      seed: this.o.seed ?? 1,
      nodes: this.cluster.nodes.length,
      pass,
      durationMs: Date.now() - this.startedAt,
      results: this.results,
      figures: figures ?? ({} as Figures),
      dir: this.o.dir,
    };
  }

  // ---- steps ----

  private ms(v: number): number {
    return Math.max(0, Math.round(v * this.scale));
  }

  private resolve(ref: NodeRef): ClusterNode {
    if (ref === 'last') return this.cluster.nodes[this.cluster.nodes.length - 1]!;
    if (ref === 'killed') {
      if (!this.faults.lastKilled) throw new Error('"killed": no node was killed yet');
      return this.faults.lastKilled;
    }
    if (ref === 'random') return this.pick(this.cluster.live());
    return this.cluster.node(ref);
  }

  private pick<T>(xs: T[]): T {
    if (xs.length === 0) throw new Error('no live node to pick from');
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  private async step(s: Step): Promise<void> {
    switch (s.do) {
      case 'start':
        return this.startAll();
      case 'mine':
        return this.setMining(s.intervalMs);
      case 'load':
        return this.load.setRate(s.txPerSec);
      case 'wait':
        return sleep(this.ms(s.ms));
      case 'partition':
        return this.faults.partition(s.split);
      case 'heal':
        return this.faults.heal();
      case 'kill':
        return this.faults.kill(this.resolve(s.node));
      case 'restart':
        return this.faults.restart(this.resolve(s.node));
      case 'churn':
        return this.faults.churn(this.ms(s.everyMs), this.ms(s.forMs), this.ms(s.downMs ?? s.everyMs / 2));
      case 'skew':
        return this.faults.skew(this.resolve(s.node), s.offsetMs);
      case 'slow-links':
        return this.faults.slowLinks({ delayMs: s.delayMs, jitterMs: s.jitterMs, dropPerMinute: s.dropPerMinute });
      case 'stop-seeds':
        for (const n of this.cluster.nodes.slice(0, this.seedCount)) await this.faults.kill(n);
        return;
      case 'add-node':
        return this.faults.addNode();
      case 'converge':
        await this.converge(this.cluster.live(), 'converged');
        return;
      case 'expect-refused':
        return expectRefused(this, this.resolve(s.node), s.blocks ?? 2);
      case 'expect-accepted':
        return expectAccepted(this, this.resolve(s.node));
      case 'expect-held':
        return expectHeld(this, this.resolve(s.node));
      case 'tamper':
        return this.faults.tamper(this.resolve(s.node), s.account, BigInt(s.amount), s.nonce === undefined ? undefined : BigInt(s.nonce));
      case 'send':
        return this.load.sendOne(this.resolve(s.node), s.account);
      case 'generate':
        await this.generate(this.resolve(s.node), s.blocks ?? 1);
        return;
    }
  }

  private async startAll(): Promise<void> {
    const count = this.o.nodes ?? this.scenario.nodes;
    const seeds = Array.from({ length: this.seedCount }, (_, i) => `ws://127.0.0.1:${this.o.basePort + i}`);
    for (let i = 0; i < count; i++) this.cluster.add(seeds);
    await Promise.all(this.cluster.nodes.map((n) => this.cluster.start(n)));
    await this.waitFor('every node has a peer', PEER_WAIT_MS, async () => {
      const counts = await Promise.all(this.cluster.live().map((n) => this.cluster.rpc<unknown[]>(n, 'getPeers').then((p) => p.length)));
      return counts.every((c) => c > 0);
    });
  }

  private async setMining(intervalMs: number): Promise<void> {
    await this.stopMining();
    if (intervalMs <= 0) return;
    this.mineTimer = setInterval(() => this.mineTick(), this.ms(intervalMs) || 1);
  }

  /** Stops the mining timer and waits for any generate call in flight. */
  async stopMining(): Promise<void> {
    clearInterval(this.mineTimer);
    this.mineTimer = undefined;
    await Promise.allSettled([...this.mining]);
  }

  /** One block on a random live node of each partition group (or of the whole network). */
  private mineTick(): void {
    if (this.minePaused || this.mining.size > 0) return;
    const live = this.cluster.live();
    const groups = this.faults.groups ? this.faults.groups.map((g) => live.filter((n) => g.includes(n.index))) : [live];
    for (const g of groups) if (g.length > 0) this.generate(this.pick(g), 1).catch(() => {});
  }

  /** generate on one node; a node killed meanwhile just yields no block. */
  async generate(n: ClusterNode, count: number): Promise<string[]> {
    const p = this.cluster.rpc<string[]>(n, 'generate', [count], 60_000);
    this.mining.add(p);
    try {
      const hashes = await p;
      this.blocksMined += hashes.length;
      return hashes;
    } finally {
      this.mining.delete(p);
    }
  }

  /**
   * Mining paused, waits until `nodes` share one tip; a tie between equal-work branches is broken by
   * one block every 3 s. Records the time since the last fault.
   */
  async converge(nodes: ClusterNode[], name: string, final = false): Promise<boolean> {
    this.minePaused = true;
    await Promise.allSettled([...this.mining]);
    const began = Date.now();
    let lastTieBreak = Date.now();
    let tips: { node: number; height: number; tip: string }[] = [];
    try {
      while (Date.now() - began < this.convergeBound) {
        tips = await Promise.all(
          nodes.map((n) => this.cluster.rpc<{ height: number; tip: string }>(n, 'getInfo', [], 5000).then((i) => ({ node: n.index, height: i.height, tip: i.tip }), () => ({ node: n.index, height: -1, tip: 'unreachable' }))),
        );
        if (tips.every((t) => t.tip === tips[0]!.tip)) {
          const since = Date.now() - this.faults.lastFaultAt;
          // The figure: from the converge step (which follows the fault it measures, e.g. heal) to one tip.
          if (!final) this.convergeMs.push(Date.now() - began);
          const when = final ? `at the end, after ${Date.now() - began} ms` : `in ${Date.now() - began} ms, ${since} ms after the last fault`;
          this.results.push({ name, pass: true, detail: `${nodes.length} nodes at block ${tips[0]!.height} ${when} (bound ${this.convergeBound} ms)` });
          if (!final) await this.ledgerChecks(nodes);
          return true;
        }
        if (Date.now() - lastTieBreak > TIE_BREAK_MS) {
          // Extend the branch most nodes are on, so the others follow it (and a node whose blocks
          // the rest refuse, e.g. a clock far ahead, does not keep its own branch alive).
          lastTieBreak = Date.now();
          const votes = new Map<string, number>();
          for (const t of tips) if (t.height >= 0) votes.set(t.tip, (votes.get(t.tip) ?? 0) + 1);
          const best = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
          const n = this.pick(nodes.filter((x) => tips.find((t) => t.node === x.index)?.tip === best));
          this.say(`converge: tips differ (${tips.map((t) => `${t.node}:${t.height}`).join(' ')}), one block on node ${n.index}`);
          await this.generate(n, 1).catch((e) => this.say(`generate on node ${n.index} failed: ${(e as Error).message}`));
        }
        await sleep(200);
      }
      const desc = tips.map((t) => `node ${t.node}: ${t.height} ${t.tip.slice(0, 12)}`).join('; ');
      this.results.push({ name, pass: false, detail: `no common tip within ${this.convergeBound} ms: ${desc}` });
      return false;
    } finally {
      this.minePaused = false;
    }
  }

  /** supply, no-double-nonce and balances-agree during the run (the final checks repeat them at the end). */
  private async ledgerChecks(nodes: ClusterNode[]): Promise<void> {
    const allocations = this.params.allocations.reduce((a, x) => a + x.balance, 0n);
    const ledgers: NodeLedger[] = [];
    for (const n of nodes) {
      const { ledger, results } = await checkNodeLedger(this.cluster, n, allocations, this.blockCache);
      ledgers.push(ledger);
      this.results.push(...results);
    }
    this.results.push(checkBalancesAgree(ledgers));
  }

  private async sampleRss(): Promise<void> {
    for (const n of this.cluster.live()) {
      const mb = await this.cluster.rssMb(n);
      if (mb === undefined) continue;
      this.rssMaxMb.set(n.index, Math.max(this.rssMaxMb.get(n.index) ?? 0, mb));
      if (mb > this.maxRssMb && !this.rssFailed.has(n.index)) {
        this.rssFailed.add(n.index);
        this.results.push({ name: 'rss-bounded', pass: false, detail: `node ${n.index} RSS ${mb.toFixed(0)} MiB > ${this.maxRssMb} MiB`, node: n.index });
      }
    }
  }

  /** Polls `pred` every 200 ms for up to `timeoutMs`. @throws unless `soft`, naming what was awaited */
  async waitFor(what: string, timeoutMs: number, pred: () => Promise<boolean>, soft = false): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await pred().catch(() => false)) return true;
      if (Date.now() > deadline) {
        if (soft === false && what) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
        return false;
      }
      await sleep(200);
    }
  }
}

function describe(s: Step): string {
  const { do: what, ...rest } = s;
  const args = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return args ? `${what} ${args}` : what;
}
