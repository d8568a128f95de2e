/** The halving schedule (issue #7): subsidyAt, subsidyThrough, totalSubsidy and the genesis supply bound. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_MONEY } from '../../node/core/amount.js';
import { isNodeError } from '../../node/core/errors.js';
import { MAX_HALVINGS, parseGenesis, subsidyAt, subsidyThrough, totalSubsidy } from '../../node/core/params.js';
import { expectedBits } from '../../node/core/pow.js';
import { COIN, repoRoot, testGenesisJson } from '../helpers/chain-fixtures.js';

const P = { subsidy: 50n * COIN, halvingInterval: 10 };

test('subsidyAt halves every halvingInterval blocks and ends after 64 halvings; genesis pays nothing', () => {
  assert.equal(subsidyAt(P, 0), 0n);
  assert.equal(subsidyAt(P, 1), 50n * COIN);
  assert.equal(subsidyAt(P, 9), 50n * COIN);
  assert.equal(subsidyAt(P, 10), 25n * COIN);
  assert.equal(subsidyAt(P, 25), (50n * COIN) >> 2n);
  assert.equal(subsidyAt(P, MAX_HALVINGS * 10 - 1), 0n, 'the shift has run out well before');
  assert.equal(subsidyAt(P, MAX_HALVINGS * 10), 0n);
});

test('subsidyThrough is the running sum of subsidyAt; the total is below 2 x subsidy x interval', () => {
  let sum = 0n;
  for (let h = 0; h <= MAX_HALVINGS * 10 + 5; h++) {
    sum += subsidyAt(P, h);
    assert.equal(subsidyThrough(P, h), sum, `height ${h}`);
  }
  assert.equal(totalSubsidy(P), sum);
  assert.ok(totalSubsidy(P) < 2n * P.subsidy * 10n);
});

test('the bundled genesis: 50 coins halving every 100,000 blocks, under 10,000,000 coins in all', () => {
  const g = parseGenesis(JSON.parse(readFileSync(join(repoRoot(import.meta.url), 'genesis.json'), 'utf8')));
  assert.equal(g.halvingInterval, 100_000);
  assert.equal(g.minimumChainWork, 0n);
  assert.ok(totalSubsidy(g) <= 10_000_000n * COIN);
  const allocated = g.allocations.reduce((a, b) => a + b.balance, 0n);
  assert.ok(allocated + totalSubsidy(g) <= MAX_MONEY);
});

test('genesis.json is refused when allocations plus the schedule could exceed MAX_MONEY', () => {
  const json = testGenesisJson({ subsidy: (1_000_000n * COIN).toString(), halvingInterval: 100 });
  assert.throws(() => parseGenesis(json), (e) => isNodeError(e, 'CONFIG_ERROR') && /subsidy schedule/.test((e as Error).message));
  assert.throws(() => parseGenesis(testGenesisJson({ minimumChainWork: 'lots' })), (e) => isNodeError(e, 'CONFIG_ERROR') && /minimumChainWork/.test((e as Error).message));
  // halvingInterval and minimumChainWork are part of the chain definition: they change the genesis hash.
  const a = parseGenesis(testGenesisJson());
  assert.notDeepEqual(parseGenesis(testGenesisJson({ halvingInterval: 99 })).genesisHash, a.genesisHash);
  assert.notDeepEqual(parseGenesis(testGenesisJson({ minimumChainWork: '0x1' })).genesisHash, a.genesisHash);
});

test('retarget over an overlapping window: span intervals between its first and last block', () => {
  const R = { genesisBits: 0x1f00ffff, targetBlockTimeMs: 1000, retargetInterval: 10 };
  // On time over 10 intervals: unchanged. The same 9 s read as a 9-interval window (the old rule) is on time too.
  assert.equal(expectedBits(R, 20, 0x1e0fffff, { first: 0, last: 10_000, span: 10 }), 0x1e0fffff);
  assert.equal(expectedBits(R, 20, 0x1e0fffff, { first: 0, last: 9_000 }), 0x1e0fffff);
  // Twice too fast over 10 intervals: the target halves.
  assert.equal(expectedBits(R, 20, 0x1e0fffff, { first: 0, last: 5_000, span: 10 }), 0x1e07ffff);
});
