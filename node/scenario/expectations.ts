/**
 * Expectations about a node with a skewed clock (the clock-skew scenario): blocks from a clock far ahead
 * are refused, from a clock somewhat behind accepted, and a clock far behind holds the network's blocks
 * back without bans. Each adds a named result to the run.
 */
import { ClusterNode } from './cluster.js';
import type { ScenarioRun } from './runner.js';

/** Blocks mined now on `k` (clock far ahead) stay off every other node's main chain; the others converge. */
export async function expectRefused(run: ScenarioRun, k: ClusterNode, blocks: number): Promise<void> {
  const hashes: string[] = [];
  for (let i = 0; i < blocks; i++) hashes.push(...(await run.generate(k, 1)));
  const others = run.cluster.live().filter((n) => n !== k);
  // The blocks were announced at once; once every other node has connected two more blocks (the
  // scenario keeps mining) it has long had the chance to take them.
  const height = async (n: ClusterNode) => (await run.cluster.rpc<{ height: number }>(n, 'getInfo')).height;
  const start = await Promise.all(others.map(height));
  await run.waitFor('', run.convergeBound, async () => (await Promise.all(others.map(height))).every((h, i) => h >= start[i]! + 2), true);
  for (const n of others)
    for (const h of hashes) {
      const b = await run.cluster.rpc<{ mainChain: boolean; height: number }>(n, 'getBlock', [h]).catch(() => undefined);
      if (b?.mainChain) {
        run.results.push({ name: 'skewed-blocks-refused', pass: false, detail: `node ${n.index} took block ${b.height} ${h} from node ${k.index}, whose clock is ahead`, node: n.index, block: { height: b.height, hash: h } });
        return;
      }
    }
  run.results.push({ name: 'skewed-blocks-refused', pass: true, detail: `${hashes.length} blocks of node ${k.index} (clock ahead) on no other node's chain` });
  await run.converge(others, 'others-unaffected');
}

/** A block mined now on `k` (clock somewhat behind) reaches every other node's main chain. */
export async function expectAccepted(run: ScenarioRun, k: ClusterNode): Promise<void> {
  const [h] = await run.generate(k, 1);
  const others = run.cluster.live().filter((n) => n !== k);
  const ok = await run.waitFor(`block ${h} of node ${k.index} on every node`, run.convergeBound, async () => {
    const bs = await Promise.all(others.map((n) => run.cluster.rpc<{ mainChain: boolean }>(n, 'getBlock', [h]).catch(() => undefined)));
    return bs.every((b) => b?.mainChain === true);
  }, true);
  run.results.push({ name: 'skewed-blocks-accepted', pass: ok, detail: ok ? `block ${h!.slice(0, 16)}… of node ${k.index} (clock behind) on all ${others.length} other nodes` : `block ${h} of node ${k.index} missing from some node's main chain after ${run.convergeBound} ms`, node: k.index });
}

/**
 * `k`'s clock is so far behind that the network's new blocks are beyond its 2 h future limit: it holds them
 * back (premature) while the others advance, and nobody bans anybody over it.
 */
export async function expectHeld(run: ScenarioRun, k: ClusterNode): Promise<void> {
  const others = run.cluster.live().filter((n) => n !== k);
  const height = async (n: ClusterNode) => (await run.cluster.rpc<{ height: number }>(n, 'getInfo')).height;
  const start = await height(k);
  // The others mine on; k must neither follow (the blocks are "from the future" to it) nor fall out.
  const advanced = await run.waitFor('', run.convergeBound, async () => (await Promise.all(others.map(height))).every((h) => h >= start + 2), true);
  const kHeight = await height(k);
  const bans = (await Promise.all(run.cluster.live().map((n) => run.cluster.rpc<unknown[]>(n, 'listBanned')))).flat();
  const peers = await run.cluster.rpc<unknown[]>(k, 'getPeers');
  const pass = advanced && kHeight < start + 2 && bans.length === 0 && peers.length > 0;
  run.results.push({
    name: 'behind-clock-holds-blocks',
    pass,
    detail: pass
      ? `node ${k.index} (clock behind) held the network's new blocks as premature at height ${kHeight}; no bans, ${peers.length} peers kept`
      : `node ${k.index}: height ${start} -> ${kHeight} while others advanced: ${advanced}; bans ${JSON.stringify(bans)}; peers ${peers.length}`,
    node: k.index,
  });
}
