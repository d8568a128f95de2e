/**
 * The testnet's live status table: height, tip, peers and mempool of every node, from getInfo.
 */
import { rpcCall } from '../rpc/client.js';
import { TestnetNode } from './launcher.js';

interface Info {
  height: number;
  tip: string;
  peers: number;
  mempool: number;
  syncing: boolean;
}

export async function statusTable(nodes: TestnetNode[]): Promise<string> {
  const rows = await Promise.all(
    nodes.map(async (n) => {
      try {
        const i = await rpcCall<Info>(n.rpc, 'getInfo', [], 900);
        return [String(n.index), n.p2p, String(i.height), i.tip.slice(0, 16), String(i.peers), String(i.mempool), n.miner ? 'yes' : '', i.syncing ? 'syncing' : 'ok'];
      } catch {
        return [String(n.index), n.p2p, '-', '-', '-', '-', n.miner ? 'yes' : '', n.process.exitCode === null ? 'no answer' : `exited ${n.process.exitCode}`];
      }
    }),
  );
  const header = ['node', 'p2p', 'height', 'tip', 'peers', 'mempool', 'miner', 'state'];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}
