/**
 * A lean young generation until the node is under load (issue #9: idle RSS <= 70 MB with 4 peers).
 *
 * Loading the node's modules, the genesis and the databases keeps most of what it allocates, so V8 sees
 * a high survival rate and doubles the young generation (two semi-spaces) from 1 MB up to 8 MB each
 * within the first two seconds; so do the first handshakes. An idle node then holds ~14 MB of young-
 * generation pages it does not use until V8's memory reducer happens to run, 40 s to minutes later.
 * `--max-semi-space-size` would bound that, but V8 reads it only when the heap is created, i.e. only as
 * a command-line flag, which `node dist/node/main.js` would not get. The growth factor is read each time
 * V8 considers growing, so it can be set from here, for every way the node is started (npm start, the
 * testnet launcher, tests, `node dist/node/main.js`):
 *   - importing this module (main.ts does so first) pins the young generation at its initial size;
 *   - `watchForLoad()`, once the node is up, restores V8's default growth at the first sign of real load
 *     (LOAD_SCAVENGES scavenges within LOAD_WINDOW_MS, i.e. >= 20 MB/s allocated: sync, a flood of
 *     transactions): a 1 MB young generation under load cost ~14 % more CPU per synced empty block
 *     here (0.31 vs 0.27 ms). Start-up's tail (first handshakes: ~17 scavenges in 0.5 s) stays below
 *     that; an idle node (a scavenge or two per minute: pings, peer refresh) stays lean.
 * Measured with bench/tx-bench.ts's idle part (5 nodes, 4 peers each, 45 s idle): see the README.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';

/** V8's default (`node --v8-options`): each growth step doubles the semi-spaces. */
const DEFAULT_GROWTH_FACTOR = 2;
/** Scavenges (1 MB each while pinned) within LOAD_WINDOW_MS that count as load. */
export const LOAD_SCAVENGES = 40;
export const LOAD_WINDOW_MS = 2_000;

setFlagsFromString('--semi-space-growth-factor=1');

/**
 * Pure: true once `times` (scavenge start times in ms, ascending) holds LOAD_SCAVENGES within
 * LOAD_WINDOW_MS. Keeps at most LOAD_SCAVENGES entries (the oldest is dropped first).
 */
export function noteScavenge(times: number[], at: number): boolean {
  times.push(at);
  if (times.length > LOAD_SCAVENGES) times.shift();
  return times.length === LOAD_SCAVENGES && at - times[0]! <= LOAD_WINDOW_MS;
}

let observer: PerformanceObserver | undefined;

/** Lets the young generation grow as V8 would by default. Idempotent. */
export function endLeanHeap(): void {
  observer?.disconnect();
  observer = undefined;
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}

/** Once the node is up: keep the young generation lean until sustained allocation shows load. */
export function watchForLoad(): void {
  if (observer) return;
  const times: number[] = [];
  observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MINOR) continue;
      if (noteScavenge(times, e.startTime)) return endLeanHeap();
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}
