/**
 * A lean young generation for start-up (issue #9: idle RSS <= 70 MB with 4 peers).
 *
 * Loading the node's modules, the genesis and the databases keeps most of what it allocates, so V8 sees
 * a high survival rate and doubles the young generation (two semi-spaces) from 1 MB up to 8 MB each
 * within the first two seconds. An idle node then holds ~14 MB of young-generation pages it does not use
 * until V8's memory reducer happens to run, 40 s to minutes later (or never, on a node that stays busy
 * with pings and timers). `--max-semi-space-size` would bound that, but it is read only when the heap is
 * created, i.e. only as a command-line flag, which `node dist/node/main.js` would not get. The growth
 * factor is read each time V8 considers growing, so it can be changed from here, for every way the node
 * is started (npm start, the testnet launcher, tests, `node dist/node/main.js`):
 *   - importing this module (main.ts does so first) pins the young generation at its initial size;
 *   - `endLeanStartup()`, once the node is up, restores V8's default so that real load (sync, a flood of
 *     transactions) grows it as usual: a 1 MB young generation under load costs ~10 % more CPU per
 *     synced block here, which a lean idle figure does not justify.
 * Measured with bench/tx-bench.ts's idle part (5 nodes, 4 peers each, 45 s idle): see the README.
 */
import { setFlagsFromString } from 'node:v8';

/** V8's default (`node --v8-options`): each growth step doubles the semi-spaces. */
const DEFAULT_GROWTH_FACTOR = 2;

setFlagsFromString('--semi-space-growth-factor=1');

/** Lets the young generation grow again under load. Idempotent. */
export function endLeanStartup(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}
