/**
 * Builds the RPC layer's OperatorOps / FaultOps from the node's parts: peer controls over P2PNode,
 * generate over the chain and mempool, arrivals, and a ledger summary (supply and a digest of every
 * balance) for invariant checks. Composition only; the behaviour lives in p2p/, miner/ and chain/.
 */
import { Chain } from '../chain/chain.js';
import { Mempool } from '../chain/mempool.js';
import { Block } from '../core/block.js';
import { Writer, fromHex, toHex } from '../core/bytes.js';
import { sha256 } from '../core/hash.js';
import { generateBlocks } from '../miner/generate.js';
import { P2PNode } from '../p2p/p2p-node.js';
import { FaultOps, OperatorOps } from '../rpc/operator-methods.js';
import { Arrivals } from './arrivals.js';
import { NodeClock } from './node-clock.js';

export interface OperatorParts {
  chain: Chain;
  mempool: Mempool;
  p2p: P2PNode;
  arrivals: Arrivals;
  clock: NodeClock;
  /** A block template paying `miner` (the node's own miner key when omitted). */
  template: (miner?: Uint8Array) => Promise<Block>;
}

export function makeOperatorOps(o: OperatorParts): OperatorOps {
  const { p2p, chain } = o;
  const matching = (key: string) => p2p.peers().filter((p) => p.nodeId === key || p.listenAddress === key || p.remote === key);
  return {
    addPeer: (url) => p2p.connect(url),
    disconnectPeer: (nodeId) => {
      const n = p2p.peers().filter((p) => p.nodeId === nodeId).length;
      p2p.disconnect(nodeId, 'disconnect-requested');
      return n;
    },
    setNetworkActive: (on) => p2p.setNetworkActive(on),
    networkActive: () => p2p.networkActive,
    ban: (key, seconds) => {
      const peers = matching(key);
      p2p.ban(key, 'manual', seconds * 1000);
      for (const p of peers) p2p.disconnect(p.nodeId, 'manual');
    },
    unban: (key) => p2p.unban(key),
    listBanned: () => p2p.bans(),
    generate: (n, miner) =>
      generateBlocks(n, {
        getTemplate: () => o.template(miner),
        submit: async (b) => {
          const v = await chain.acceptBlock(b, p2p.pushNewBlock(b));
          return v.ok ? { ok: v.value.status !== 'side-branch' } : { ok: false, reason: v.reason };
        },
        tipHex: () => chain.tip.hashHex,
      }),
    arrivals: () => o.arrivals.snapshot(),
    ledgerSummary: () => ledgerSummary(chain),
  };
}

export function makeFaultOps(o: Pick<OperatorParts, 'p2p' | 'clock'>): FaultOps {
  return {
    setMockTime: (ms) => o.clock.setMockTime(ms),
    setPeerFilter: (deny) => o.p2p.setPeerFilter(deny),
    setLinkFault: (spec) => o.p2p.setLinkFault(spec),
  };
}

/**
 * Supply (sum of balances), account count and a sha256 digest of every account (address | balance |
 * nonce, by address) at one tip. Retried while blocks connect during the scan, so all three figures
 * describe the same tip.
 */
async function ledgerSummary(chain: Chain): Promise<unknown> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const tip = chain.tip;
    const accounts = await chain.allAccounts();
    if (chain.tip.hashHex !== tip.hashHex) continue;
    const w = new Writer();
    let supply = 0n;
    for (const key of [...accounts.keys()].sort()) {
      const a = accounts.get(key)!;
      supply += a.balance;
      w.fixed(fromHex(key), 20).u64(a.balance).u64(a.nonce);
    }
    return { height: tip.height, tip: tip.hashHex, supply: supply.toString(), accounts: accounts.size, digest: toHex(sha256(w.finish())) };
  }
  throw new Error('ledger summary: the tip kept moving during 10 scans');
}
