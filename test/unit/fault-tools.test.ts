/**
 * The pure-ish pieces behind fault injection: the node clock's mock, the arrivals rings (cap and
 * eviction), the scenario file validation (one clear error per mistake), tx accounting and percentiles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arrivals } from '../../node/faults/arrivals.js';
import { NodeClock } from '../../node/faults/node-clock.js';
import { accountTxs, percentile } from '../../node/scenario/checks.js';
import { parseScenario } from '../../node/scenario/scenario.js';

test('NodeClock: mock time keeps ticking from the mocked instant; 0 restores real time; bounds', () => {
  let real = 1_000_000;
  const c = new NodeClock(() => real);
  assert.equal(c.now(), 1_000_000);
  c.setMockTime(5_000_000);
  assert.equal(c.now(), 5_000_000);
  real += 10;
  assert.equal(c.now(), 5_000_010);
  c.setMockTime(0);
  assert.equal(c.now(), real);
  assert.throws(() => c.setMockTime(-1), /non-negative/);
  assert.throws(() => c.setMockTime(1.5), /non-negative integer/);
  assert.throws(() => c.setMockTime(real + 11 * 365 * 24 * 3600 * 1000), /10 years/);
});

test('Arrivals: first seen wins, each ring capped with the oldest evicted, mined removals not kept', () => {
  let t = 100;
  const a = new Arrivals(3, () => t++);
  a.block('b1', 1);
  a.block('b1', 1);
  for (const id of ['t1', 't2', 't3', 't4']) a.tx(id);
  a.removed(['t1'], 'mined');
  a.removed(['t2', 't3', 't4', 't5'], 'stale');
  a.reorg(0);
  a.reorg(3);
  a.reorg(1);
  const s = a.snapshot();
  assert.deepEqual(s.blocks, [{ hash: 'b1', height: 1, t: 100 }]);
  assert.deepEqual(s.txs.map((x) => x.id), ['t2', 't3', 't4']);
  assert.deepEqual(s.removals.map((x) => x.id), ['t3', 't4', 't5']);
  assert.ok(s.removals.every((x) => x.reason === 'stale'));
  assert.deepEqual(s.reorgs, { count: 2, maxDepth: 3 });
});

test('scenario files: every mistake is one clear error naming the step', () => {
  const base = { name: 'x', nodes: 3, steps: [{ do: 'start' }] };
  assert.equal(parseScenario(base, 'f').name, 'x');
  assert.throws(() => parseScenario({ ...base, nodes: 0 }, 'f'), /"nodes" must be an integer in 1..50/);
  assert.throws(() => parseScenario({ ...base, steps: [{ do: 'explode' }] }, 'f'), /step 1: unknown "do": "explode"/);
  assert.throws(() => parseScenario({ ...base, steps: [{ do: 'start' }, { do: 'wait' }] }, 'f'), /step 2 \(wait\): "ms" must be a number/);
  assert.throws(() => parseScenario({ ...base, steps: [{ do: 'kill', node: 0 }] }, 'f'), /1-based node index/);
  assert.throws(() => parseScenario({ ...base, steps: [{ do: 'partition', split: [3] }] }, 'f'), /at least two positive numbers/);
  assert.throws(() => parseScenario([], 'f.json'), /scenario f.json: .*name/);
});

test('accountTxs: confirmed, nonce taken, removed with a reason, lost with a killed node, behind a gap, unaccounted', () => {
  const chain = [
    { hash: 'h1', height: 1, prevHash: 'g', reward: '0', txs: [{ id: 'A', from: 's', nonce: '0', fee: '1' }, { id: 'B2', from: 's', nonce: '1', fee: '1' }] },
  ];
  const acc = (id: string, nonce: string, node = 1, at = 10) => ({ id, sender: 's', nonce, node, at });
  const out = accountTxs(
    [acc('A', '0'), acc('B', '1'), acc('C', '2'), acc('D', '4', 2, 10), acc('E', '3', 3, 10), acc('F', '2')],
    chain,
    new Map([['C', 'evicted']]),
    new Map([['E', 1], ['F', 2]]),
    new Map([[2, [20]]]),
  );
  assert.equal(out.confirmed, 1);
  assert.equal(out.conflicted, 1); // B: nonce 1 taken by B2
  assert.deepEqual([...out.removed], [['evicted', 1]]); // C
  assert.equal(out.lostWithCrash, 1); // D: node 2 killed after accepting, nobody else saw it
  assert.equal(out.behindGap, 1); // E: nonce 3 while the chain is at nonce 1 (nonce 2 never confirmed)
  assert.deepEqual(out.unaccounted, ['F']); // F: nonce 2 is next, no reason: a lost transaction
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([5, 1, 3, 2, 4], 99), 5);
  assert.equal(percentile([], 50), null);
});

test('scenario collections are capped: block cache evicts the oldest, the accepted-tx record stops and counts', async () => {
  const { BlockCache } = await import('../../node/scenario/checks.js');
  const { LoadGenerator } = await import('../../node/scenario/load.js');
  const { devAccounts } = await import('../../node/core/dev-accounts.js');
  let fetches = 0;
  const node = { index: 1 } as never;
  const fake = {
    live: () => [node],
    rpc: async (_n: unknown, method: string, params: unknown[]) => {
      fetches++;
      if (method === 'getBlock') return { hash: params[0], height: 1, prevHash: 'g', reward: '0', txs: [] };
      if (method === 'getAccount') return { pendingNonce: String(fetches) };
      return { id: 'x' };
    },
  } as never;
  const cache = new BlockCache(2);
  for (const h of ['a', 'b', 'c']) await cache.get(fake, node, h);
  const before = fetches;
  await cache.get(fake, node, 'c'); // kept
  assert.equal(fetches, before);
  await cache.get(fake, node, 'a'); // evicted: fetched again
  assert.equal(fetches, before + 1);

  const load = new LoadGenerator(fake, devAccounts(3), 1337, 1000n, () => 0.5, 2);
  for (let i = 0; i < 3; i++) await load.sendOne(node, 0);
  assert.equal(load.accepted.size, 2);
  assert.equal(load.untracked, 1);
});
