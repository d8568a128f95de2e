/**
 * Short versions of the built-in scenarios (2 of 2): slow-links and clock-skew; and the runner fed a
 * deliberately broken node (money added to one node's ledger outside any block), which must FAIL
 * loudly, naming the invariant, the node and the block. Ports 23600-23999 and 23050-23059/23150-23159.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGenesis } from '../../node/config.js';
import { bundledGenesisPath } from '../../node/paths.js';
import { formatReport } from '../../node/scenario/report.js';
import { ScenarioRun } from '../../node/scenario/runner.js';
import { parseScenario } from '../../node/scenario/scenario.js';
import { runShortScenario } from '../helpers/scenario.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const SCENARIO_CLI = fileURLToPath(new URL('../../node/scenario/cli.js', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

test('slow-links (short): 200 ± 50 ms per message and dropped connections under load: every invariant PASS', { timeout: 120_000 }, async () => {
  const r = await runShortScenario('slow-links', 23600);
  assert.ok(r.pass, r.text);
  const p50 = r.report.figures.blockPropagationMs.p50;
  assert.ok(p50 !== null && p50 >= 150, `blocks travel through delayed links (p50 ${p50} ms):\n${r.text}`);
});

test('clock-skew (short): +3 h refused, others unaffected, behind still handled: every invariant PASS', { timeout: 120_000 }, async () => {
  const r = await runShortScenario('clock-skew', 23800);
  assert.ok(r.pass, r.text);
  for (const name of ['skewed-blocks-refused', 'others-unaffected', 'skewed-blocks-accepted', 'behind-clock-holds-blocks'])
    assert.ok(r.report.results.some((x) => x.name === name && x.pass), `${name} checked:\n${r.text}`);
});

test('a deliberately broken node (money from nowhere in its ledger) makes the runner FAIL, naming invariant, node and block', { timeout: 120_000 }, async () => {
  const tmp = await makeTmpDir('minichain-broken-');
  cleanups.push(tmp.remove);
  const file = join(tmp.path, 'broken.json');
  await writeFile(
    file,
    JSON.stringify({
      name: 'broken-ledger',
      nodes: 3,
      seeds: 1,
      convergeWithinMs: 30000,
      steps: [
        { do: 'start' },
        { do: 'load', txPerSec: 3 },
        { do: 'mine', intervalMs: 700 },
        { do: 'wait', ms: 2000 },
        { do: 'tamper', node: 2, account: 4, amount: '123456789' },
        { do: 'converge' },
      ],
    }),
  );
  const out = join(tmp.path, 'report.json');
  const r = await runCli(SCENARIO_CLI, [file, '--base-port', '23050', '--json', out, '--dir', join(tmp.path, 'nodes'), '--quiet'], {}, 110_000);
  assert.equal(r.code, 1, `exit code 1 on FAIL\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^supply\s+FAIL\s+node 2 at block \d+ [0-9a-f]{64}: ledger holds \d+, its chain allows \d+ .*difference \+123456789$/m);
  assert.match(r.stdout, /^balances-agree\s+FAIL\s+at block \d+ [0-9a-f]{64}: node 2 holds accounts digest/m);
  assert.match(r.stdout, /^FAIL broken-ledger: supply, balances-agree/m);
  assert.match(r.stdout, /^no-double-nonce\s+PASS/m);
  const json = JSON.parse(await readFile(out, 'utf8')) as { pass: boolean; invariants: { name: string; pass: boolean; failures: { node?: number; block?: { height: number; hash: string } }[] }[] };
  assert.equal(json.pass, false);
  const supply = json.invariants.find((i) => i.name === 'supply')!;
  assert.equal(supply.pass, false);
  // checked at the converge step during the run and again at the end: both times only the tampered node
  assert.equal(supply.failures.length, 2);
  for (const f of supply.failures) {
    assert.equal(f.node, 2);
    assert.match(f.block!.hash, /^[0-9a-f]{64}$/);
  }
});

test('a block that double-spends on one node (its ledger nonce rolled back) makes the runner FAIL no-double-nonce with node and block', { timeout: 120_000 }, async () => {
  const tmp = await makeTmpDir('minichain-double-spend-');
  cleanups.push(tmp.remove);
  const scenario = parseScenario(
    {
      name: 'double-spend',
      nodes: 3,
      seeds: 1,
      convergeWithinMs: 5000,
      steps: [
        { do: 'start' },
        { do: 'send', node: 1, account: 4 },
        { do: 'generate', node: 1 },
        { do: 'converge' },
        { do: 'tamper', node: 2, account: 4, amount: '0', nonce: 0 },
        { do: 'send', node: 2, account: 4 },
        { do: 'generate', node: 2 },
        { do: 'converge' },
      ],
    },
    'inline',
  );
  const run = new ScenarioRun(scenario, await loadGenesis(bundledGenesisPath()), { dir: join(tmp.path, 'nodes'), basePort: 23060, seed: 1 });
  const report = await run.run();
  const text = formatReport(report);
  assert.equal(report.pass, false, text);
  const dbl = report.results.filter((r) => r.name === 'no-double-nonce' && !r.pass);
  assert.ok(dbl.length >= 1, text);
  for (const f of dbl) {
    assert.equal(f.node, 2, text);
    assert.equal(f.block?.height, 2, text);
    assert.match(f.detail, /^node 2: sender mc1\w+ nonce 0 confirmed twice: tx [0-9a-f]{64} in block 1 [0-9a-f]{64} and tx [0-9a-f]{64} in block 2 [0-9a-f]{64}$/);
  }
  // the honest nodes refused that block and agree with each other
  assert.ok(report.results.filter((r) => r.name === 'no-double-nonce' && r.node !== 2).every((r) => r.pass), text);
  assert.match(text, /^FAIL double-spend: .*no-double-nonce/m);
});
