/**
 * Glue between the testnet launcher and the dashboard (node/dashboard/): the launcher's nodes as the
 * collector's sources, and stop/start of a node by its PID through the launcher's own process handles
 * (a stopped node is started again with exactly the arguments it was first spawned with), and split/heal
 * of the network through the nodes' own setPeerFilter (node/dashboard/partition.ts).
 * Used by `npm run testnet` and by the browser test, so both run the same code.
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Collector, DashboardNodeSource } from '../dashboard/collector.js';
import { DashboardServer, NodeControls } from '../dashboard/server.js';
import { Partitioner } from '../dashboard/partition.js';
import { Testnet, TestnetNode, authedUrl, stopProcess } from './launcher.js';

export interface TestnetDashboard {
  url: string;
  collector: Collector;
  server: DashboardServer;
  stop(): Promise<void>;
}

export interface DashboardHookOptions {
  /** 0 picks a free port. */
  port: number;
  /** The seeds' p2p URLs, to mark seed nodes (default: the first three nodes, as the launcher makes them). */
  seeds?: string[];
  pollMs?: number;
}

function exitReason(n: TestnetNode): string | undefined {
  const p = n.process;
  if (p.exitCode !== null) return `exit code ${p.exitCode}`;
  if (p.signalCode !== null) return `signal ${p.signalCode}`;
  return undefined;
}

export function testnetControls(net: Testnet): NodeControls {
  const find = (index: number): TestnetNode => {
    const n = net.nodes.find((x) => x.index === index);
    if (!n) throw new Error(`no node${index} in this testnet`);
    return n;
  };
  return {
    async stop(index) {
      const n = find(index);
      if (exitReason(n) !== undefined) throw new Error(`node${index} is not running`);
      await stopProcess(n.process, 10_000);
      return `node${index} stopped (pid ${n.pid}, ${exitReason(n) ?? 'exited'})`;
    },
    async start(index) {
      const n = find(index);
      if (exitReason(n) === undefined) throw new Error(`node${index} is already running (pid ${n.pid})`);
      const log = await open(join(n.datadir, 'node.log'), 'a');
      try {
        // The exact command the launcher used (in a namespace too, with --hosts).
        const child = spawn(n.command[0]!, n.command.slice(1), { stdio: ['ignore', log.fd, log.fd], detached: true });
        n.process = child;
        n.pid = child.pid!;
      } finally {
        await log.close();
      }
      return `node${index} started again (pid ${n.pid})`;
    },
  };
}

/** Starts the collector and the dashboard server for a running testnet. @throws Error when the port is taken. */
export async function startTestnetDashboard(net: Testnet, o: DashboardHookOptions): Promise<TestnetDashboard> {
  const seeds = new Set(o.seeds ?? net.nodes.slice(0, 3).map((n) => n.p2p));
  // RPC beyond loopback (--hosts) needs each node's cookie, which a restart renews: re-read every 2 s.
  const rpcUrls = new Map<number, string>();
  const refreshUrls = async () => {
    for (const n of net.nodes) rpcUrls.set(n.index, await authedUrl(n));
  };
  await refreshUrls();
  const cookieTimer = setInterval(() => void refreshUrls().catch(() => {}), 2000);
  cookieTimer.unref();
  const sources = (): DashboardNodeSource[] =>
    net.nodes.map((n) => ({ index: n.index, p2p: n.p2p, rpc: rpcUrls.get(n.index) ?? n.rpc, miner: n.miner, seed: seeds.has(n.p2p), exited: () => exitReason(n) }));
  const collector = new Collector({ nodes: sources, pollMs: o.pollMs, controls: true });
  // Split/heal through each node's setPeerFilter (nodes without --allow-faults refuse; the page says so).
  const partition = new Partitioner({ nodes: sources, knownId: (i) => collector.nodeId(i) });
  const server = new DashboardServer({ collector, controls: testnetControls(net), partition });
  const url = await server.start(o.port);
  collector.start();
  return {
    url,
    collector,
    server,
    async stop() {
      clearInterval(cookieTimer);
      collector.stop();
      await server.stop();
    },
  };
}
