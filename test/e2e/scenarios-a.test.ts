/**
 * Short versions of the built-in scenarios (1 of 2): partition-heal, churn and seed-loss, each on its
 * own port block inside 23000-23999, with real node processes. The full report is printed when one
 * fails. Long versions: `npm run scenario -- <name> --scale 5` (README).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runShortScenario } from '../helpers/scenario.js';

test('partition-heal (short): 5 nodes split 3|2, both sides mine and take txs, heal: every invariant PASS', { timeout: 120_000 }, async () => {
  const r = await runShortScenario('partition-heal', 23000);
  assert.ok(r.pass, r.text);
  assert.ok(r.report.figures.reorgs.maxDepth >= 1, `the minority side reorged:\n${r.text}`);
  assert.ok(r.report.figures.txConfirmed > 0, r.text);
});

test('churn (short): kill -9 and restart under load: every invariant PASS', { timeout: 120_000 }, async () => {
  const r = await runShortScenario('churn', 23200);
  assert.ok(r.pass, r.text);
});

test('seed-loss (short): seeds die, a new node joins through a non-seed: every invariant PASS', { timeout: 120_000 }, async () => {
  const r = await runShortScenario('seed-loss', 23400);
  assert.ok(r.pass, r.text);
  assert.equal(r.report.nodes, 6, 'the new node took part');
});
