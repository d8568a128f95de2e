/**
 * Crash safety: a child process importing blocks (with reorgs) is killed with SIGKILL at random moments,
 * 24 times. After every kill the ledger must open, its account state must equal a replay of its own
 * main chain from genesis, and its tip must be a fully connected block.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Chain } from '../../node/chain/chain.js';
import { testParams } from '../helpers/chain-fixtures.js';
import { checkLedgerConsistent } from '../helpers/ledger-check.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { seededRandom as prng } from '../helpers/prng.js';

const CHILD = fileURLToPath(new URL('../helpers/crash-child.js', import.meta.url));
const KILLS = 24;


test(`ledger survives ${KILLS} SIGKILLs during block import and reorgs`, { timeout: 240_000 }, async (t) => {
  const tmp = await makeTmpDir('minichain-crash-');
  after(tmp.remove);
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed}`);
  const rand = prng(seed);
  const params = testParams();
  let lastHeight = 0;
  let maxHeight = 0;
  for (let k = 0; k < KILLS; k++) {
    const child = spawn(process.execPath, [CHILD, tmp.path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill after a random number of imported blocks (0..40), or after 10 s at the latest.
    const target = Math.floor(rand() * 40);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const lines = out.split('\n').filter((l) => l.startsWith('h ')).length;
      if (out.includes('ready') && lines >= target) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(child.exitCode, null, `child exited early: ${err}`);
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    const chain = await Chain.open({ dir: tmp.path, params });
    try {
      await checkLedgerConsistent(chain);
      assert.ok(chain.height >= lastHeight - 1, 'at most one block lost to an in-flight reorg, never more');
      lastHeight = chain.height;
      maxHeight = Math.max(maxHeight, chain.height);
    } finally {
      await chain.close();
    }
  }
  assert.ok(maxHeight > 20, `the child made progress (height ${maxHeight})`);
});
