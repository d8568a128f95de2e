/**
 * The testnet's live status table: height, tip, peers and mempool of every node, from getInfo.
 */
import { InfoJson } from '../rpc/format.js';
import { TestnetNode, checkNode } from './launcher.js';

type Info = Pick<InfoJson, 'height' | 'tip' | 'peers' | 'mempool' | 'syncing' | 'nodeId'> & Partial<Pick<InfoJson, 'lastBlockAgeSec'>>;

export async function statusTable(nodes: TestnetNode[]): Promise<string> {
  const rows = await Promise.all(
    nodes.map(async (n) => {
      // 'ok' only for this node's own live process answering with its own nodeId.
      const { health, info: i } = await checkNode<Info>(n, 900);
      if (health === 'ok' && i) {
        const age = i.lastBlockAgeSec === undefined || i.height === 0 ? '-' : `${i.lastBlockAgeSec}s`;
        return [String(n.index), n.p2p, String(i.height), i.tip.slice(0, 16), age, String(i.peers), String(i.mempool), n.miner ? 'yes' : '', i.syncing ? 'syncing' : 'ok'];
      }
      const state = health === 'exited' ? `exited ${n.process.exitCode ?? n.process.signalCode}` : health === 'foreign' ? 'FOREIGN NODE on its port' : 'no answer';
      return [String(n.index), n.p2p, '-', '-', '-', '-', '-', n.miner ? 'yes' : '', state];
    }),
  );
  const header = ['node', 'p2p', 'height', 'tip', 'age', 'peers', 'mempool', 'miner', 'state'];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}
