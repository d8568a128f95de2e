/**
 * Miner on a real worker thread: solves an easy template, aborts promptly on stop() even mid-slice,
 * refetches on a tip change and when a template ages out, and reports only accepted blocks.
 * A leaked worker would keep this test process alive, so every miner is stopped in `after`.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Miner, solveInline } from '../../node/miner/miner.js';
import { assembleBlock } from '../../node/miner/template.js';
import { Block, blockHash, encodeHeader } from '../../node/core/block.js';
import { compactToTarget, hashMeetsTarget } from '../../node/core/pow.js';
import { isNodeError } from '../../node/core/errors.js';
import { DEV, EASY_BITS, testParams } from '../helpers/chain-fixtures.js';
import { waitFor } from '../helpers/wait-for.js';

const params = testParams();
/** Target 1: no hash will ever meet it, so a search runs until told to stop. */
const IMPOSSIBLE_BITS = 0x03000001;

function template(bits: number, timestamp = params.genesisTimestamp + 1000): Block {
  return assembleBlock(params, {
    parentHash: params.genesisHash,
    parentHeight: 0,
    bits,
    timestamp,
    miner: DEV[7]!.addressHash,
    txs: [],
  });
}

const miners: Miner[] = [];
after(async () => {
  for (const m of miners) await m.stop();
});

function makeMiner(opts: Partial<ConstructorParameters<typeof Miner>[0]> & Pick<ConstructorParameters<typeof Miner>[0], 'getTemplate'>) {
  const submitted: Block[] = [];
  const miner = new Miner({
    submit: async (b) => {
      submitted.push(b);
      return { ok: true, value: undefined };
    },
    dutyCycle: 1,
    ...opts,
  });
  miners.push(miner);
  return { miner, submitted };
}

describe('solveInline', () => {
  it('finds a nonce meeting an easy target and gives up on an impossible one', () => {
    const solved = solveInline(template(EASY_BITS), 10_000);
    assert.ok(solved);
    assert.ok(hashMeetsTarget(blockHash(solved.header), compactToTarget(EASY_BITS)));
    assert.equal(solveInline(template(IMPOSSIBLE_BITS), 200), undefined);
  });
});

describe('Miner', () => {
  it('mines a block on a worker thread, submits it and emits it', async () => {
    const t = template(EASY_BITS);
    const { miner, submitted } = makeMiner({ getTemplate: async () => t });
    const emitted: Block[] = [];
    miner.on('block', (b) => emitted.push(b));
    miner.start();
    await waitFor(() => emitted.length >= 1, 10_000, 'a mined block');
    await miner.stop();
    const b = emitted[0]!;
    assert.equal(submitted[0], b);
    assert.ok(hashMeetsTarget(blockHash(b.header), compactToTarget(b.header.bits)));
    // Only the nonce differs from the template.
    assert.deepEqual(encodeHeader({ ...b.header, nonce: 0n }), encodeHeader(t.header));
    assert.deepEqual({ ...b, header: undefined }, { ...t, header: undefined });
  });

  it('does not emit a block the chain rejected', async () => {
    let submits = 0;
    const { miner } = makeMiner({
      getTemplate: async () => template(EASY_BITS),
      submit: async () => {
        submits++;
        return { ok: false, class: 'consensus', reason: 'bad-blk-pow' };
      },
    });
    const emitted: Block[] = [];
    miner.on('block', (b) => emitted.push(b));
    miner.start();
    await waitFor(() => submits >= 2, 10_000, 'two submissions');
    await miner.stop();
    assert.equal(emitted.length, 0);
  });

  it('stop() aborts a search mid-slice and resolves once the worker is gone', async () => {
    let fetched = 0;
    const { miner, submitted } = makeMiner({
      getTemplate: async () => {
        fetched++;
        return template(IMPOSSIBLE_BITS);
      },
      sliceMs: 10_000, // a slice far longer than stop() may take: only terminating the worker is fast enough
    });
    miner.start();
    await waitFor(() => fetched >= 1, 5_000, 'the first template');
    const began = performance.now();
    await miner.stop();
    const took = performance.now() - began;
    assert.ok(took < 2_000, `stop took ${took} ms`);
    assert.equal(miner.isRunning, false);
    assert.equal(submitted.length, 0);
    assert.equal(fetched, 1);
  });

  it('onTipChanged abandons the search and fetches a new template', async () => {
    let fetched = 0;
    const { miner } = makeMiner({
      getTemplate: async () => {
        fetched++;
        return template(IMPOSSIBLE_BITS);
      },
      dutyCycle: 0.5,
      templateMaxAgeMs: 600_000, // so only the tip change can cause the refetch
    });
    miner.start();
    await waitFor(() => fetched >= 1, 5_000, 'the first template');
    miner.onTipChanged();
    await waitFor(() => fetched >= 2, 5_000, 'a template after the tip change');
    await miner.stop();
  });

  it('refetches a template once it is older than templateMaxAgeMs', async () => {
    let fetched = 0;
    const { miner } = makeMiner({
      getTemplate: async () => {
        fetched++;
        return template(IMPOSSIBLE_BITS, params.genesisTimestamp + fetched);
      },
      templateMaxAgeMs: 50,
    });
    miner.start();
    await waitFor(() => fetched >= 3, 5_000, 'aged-out templates replaced');
    await miner.stop();
  });

  it('rests between slices in proportion to the duty cycle', async () => {
    const { miner } = makeMiner({ getTemplate: async () => template(IMPOSSIBLE_BITS), dutyCycle: 0.25, sliceMs: 5 });
    miner.start();
    await waitFor(() => miner.stats.slices >= 20, 10_000, 'twenty slices');
    const s = miner.stats;
    await miner.stop();
    assert.ok(s.hashes > 0);
    // 25% busy means resting three times as long as hashing. The rest under way is not yet counted, so
    // allow half of that: only a last slice longer than all before it together could then fail this.
    assert.ok(s.restMs >= 1.5 * s.busyMs, `rested ${s.restMs} ms for ${s.busyMs} ms of hashing`);
  });

  it('rejects a duty cycle outside (0, 1]', () => {
    for (const dutyCycle of [0, -0.5, 1.5, Number.NaN])
      assert.throws(
        () => new Miner({ getTemplate: async () => template(EASY_BITS), submit: async () => undefined, dutyCycle }),
        (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT'),
      );
  });
});
