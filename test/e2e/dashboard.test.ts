/**
 * The live dashboard in a real browser: a real 4-node testnet (node processes started by the same
 * launcher and dashboard code as `npm run testnet`, on this test's own ports 25000-25003 / RPC
 * 25500-25503 / dashboard 25900), headless Chromium driven by puppeteer-core. The page loads with no
 * console errors, shows the 4 nodes and exactly the edges the nodes' getPeers report, advances when a
 * block is mined, and marks a killed node dead. A screenshot goes to test-output/dashboard.png.
 * Then the split/heal buttons: the nodes (started with --allow-faults, as `npm run testnet` does) split
 * into 1,2 | 3,4 with a miner on each side, drop every cross-side connection and fork; heal reconnects
 * them and they converge on one tip (screenshot of the fork: test-output/dashboard-split.png).
 * Skips, saying why, only when Chromium is not installed (.ci/run installs it).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { Browser, Page } from 'puppeteer-core';
import { loadGenesis } from '../../node/config.js';
import { bundledGenesisPath } from '../../node/paths.js';
import { rpcCall } from '../../node/rpc/client.js';
import { startTestnet, Testnet } from '../../node/testnet/launcher.js';
import { startTestnetDashboard, TestnetDashboard } from '../../node/testnet/dashboard-hook.js';
import { parseExposition, sumOf } from '../../node/dashboard/prom-text.js';
import { repoRoot } from '../helpers/chain-fixtures.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const BASE = 25000;
const SEEDS = [0, 1, 2].map((i) => `ws://127.0.0.1:${BASE + i}`);
const OUT = join(repoRoot(import.meta.url), 'test-output');
const skip = existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM} (apt-get install chromium; .ci/run does this)`;

let net: Testnet | undefined;
let dash: TestnetDashboard | undefined;
let browser: Browser | undefined;
let page: Page;
let userDataDir: { path: string; remove: () => Promise<void> } | undefined;
let netDir: { path: string; remove: () => Promise<void> } | undefined;
const consoleErrors: string[] = [];

before(async () => {
  netDir = await makeTmpDir('minichain-dash-net-');
  userDataDir = await makeTmpDir('minichain-dash-chromium-');
  const params = await loadGenesis(bundledGenesisPath());
  net = await startTestnet(
    // Two miners (node2 and node4, one on each side of the default split 1,2 | 3,4).
    { nodes: 4, miners: 2, dir: netDir.path, reset: true, basePort: BASE, rpcBasePort: BASE + 500, mineDuty: 0.5, allowFaults: true, extraArgs: ['--seeds', SEEDS.join(','), '--refresh-interval', '1000'] },
    params,
  );
  dash = await startTestnetDashboard(net, { port: BASE + 900, seeds: SEEDS, pollMs: 300 });
  if (skip) return;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: userDataDir.path,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${userDataDir.path}`],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('requestfailed', (r) => consoleErrors.push(`request failed: ${r.url()}`));
});

after(async () => {
  await browser?.close();
  await dash?.stop();
  await net?.stop(5000);
  await userDataDir?.remove();
  await netDir?.remove();
});

/** The edges as the nodes report them: dialer -> listener by node index. */
async function edgesFromGetPeers(t: Testnet): Promise<string[]> {
  const ids = new Map<string, number>();
  const peers = new Map<number, { nodeId: string; direction: string }[]>();
  for (const n of t.nodes) {
    if (n.process.exitCode !== null || n.process.signalCode !== null) continue;
    ids.set((await rpcCall<{ nodeId: string }>(n.rpc, 'getInfo')).nodeId, n.index);
    peers.set(n.index, await rpcCall(n.rpc, 'getPeers'));
  }
  const out = new Set<string>();
  for (const [index, list] of peers)
    for (const p of list) {
      const other = ids.get(p.nodeId);
      if (other !== undefined) out.add(p.direction === 'outbound' ? `${index}-${other}` : `${other}-${index}`);
    }
  return [...out].sort();
}

const pageEdges = () => page.evaluate(() => (globalThis as any).dashboard.graph.edges().map((e: any) => e.id().slice(1)).sort() as string[]);
const pageHeight = () => page.evaluate(() => Math.max(-1, ...(globalThis as any).dashboard.snapshot.nodes.map((n: any) => n.height ?? -1)) as number);

/**
 * Clicks a button of the node table inside the page, in one step: the table is re-rendered on every
 * update (innerHTML), so puppeteer's page.click (find, then move the mouse, then click) can hold an
 * element that was replaced in between ("Node is detached from document").
 */
const clickNow = (selector: string) => page.$eval(selector, (b) => (b as any).click());

test('dashboard in headless Chromium: 4 nodes, the getPeers edges, a new block, a killed node dead, stop/start buttons', { skip, timeout: 60_000 }, async () => {
  const t = net!;
  const res = await page.goto(dash!.url, { waitUntil: 'load' });
  assert.equal(res?.status(), 200);
  await page.waitForFunction(() => (globalThis as any).dashboard?.graph.nodes().length === 4, { timeout: 10_000 });
  assert.equal(await page.$$eval('#nodes tbody tr', (rows) => rows.length), 4);

  // Edges: the page shows exactly what getPeers reports (polled until the two agree on a connected net).
  let last = { want: [] as string[], got: [] as string[] };
  await waitFor(async () => {
    const want = await edgesFromGetPeers(t);
    const got = await pageEdges();
    last = { want, got };
    return want.length >= 3 && JSON.stringify(want) === JSON.stringify(got);
  }, 30_000, 'the page edges to equal getPeers', 300).catch((e: Error) => {
    throw new Error(`${e.message}: getPeers ${last.want.join(' ')} | page ${last.got.join(' ')}`);
  });

  // A block is mined (node2 and node4 mine): the page's heights and block tree advance.
  const h0 = await pageHeight();
  await waitFor(async () => (await pageHeight()) > h0, 30_000, 'the page height to advance after a block', 200);
  const treeBlocks = await page.evaluate(() => (globalThis as any).dashboard.tree.nodes().length as number);
  assert.ok(treeBlocks >= 2, `block tree shows ${treeBlocks} blocks`);

  // A killed node is marked dead, in the table and in the graph.
  const victim = t.nodes[2]!;
  process.kill(victim.pid, 'SIGKILL');
  await page.waitForFunction(
    (i: number) => (globalThis as any).document.querySelector(`#nodes tr[data-index="${i}"]`)?.getAttribute('data-state') === 'dead' && (globalThis as any).dashboard.graph.getElementById(`n${i}`).data('state') === 'dead',
    { timeout: 10_000 },
    victim.index,
  );
  const events = await page.$$eval('#events li', (li) => li.map((x) => x.textContent ?? ''));
  assert.ok(events.some((e) => e.includes(`node${victim.index} exited`)), events.join('\n'));

  // The stop/start buttons go through the launcher's own process handles.
  const other = t.nodes[1]!;
  const rowState = (i: number) => page.$eval(`#nodes tr[data-index="${i}"]`, (tr) => tr.getAttribute('data-state'));
  await clickNow(`#nodes tr[data-index="${other.index}"] button[data-act="stop"]`);
  await waitFor(async () => (await rowState(other.index)) === 'dead', 15_000, 'the stopped node to show dead', 100);
  assert.notEqual(other.process.exitCode, null, 'the node process exited');
  await clickNow(`#nodes tr[data-index="${other.index}"] button[data-act="start"]`);
  await waitFor(async () => (await rowState(other.index)) === 'alive', 20_000, 'the restarted node to answer', 100);

  await mkdir(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, 'dashboard.png') });
  assert.deepEqual(consoleErrors, [], 'no console errors');
});

const tipOf = async (t: Testnet, index: number) => rpcCall<{ tip: string; height: number }>(t.nodes[index - 1]!.rpc, 'getInfo');
/** Connections between the sides 1,2 and 3,4 ("dialer-listener" by node index). */
const crossEdges = (edges: string[]) => edges.filter((e) => new Set(e.split('-').map((i) => Number(i) <= 2)).size === 2);

test('dashboard split/heal buttons: the sides drop each other and fork, heal reconnects and converges on one tip', { skip, timeout: 60_000 }, async () => {
  const t = net!;
  const rowState = (i: number) => page.$eval(`#nodes tr[data-index="${i}"]`, (tr) => tr.getAttribute('data-state'));
  // The first test killed node3: start it again from its button, so all four take part.
  for (const n of t.nodes)
    if ((await rowState(n.index)) === 'dead') {
      await clickNow(`#nodes tr[data-index="${n.index}"] button[data-act="start"]`);
      await waitFor(async () => (await rowState(n.index)) === 'alive', 20_000, `node${n.index} to answer again`, 100);
    }
  await waitFor(async () => (await page.$eval('#groups', (x) => (x as any).value)) === '1,2 | 3,4', 5_000, 'the default sides 1,2 | 3,4', 100);

  // The page's event list keeps the newest 50 (reorgs are frequent with two miners): check each line when it comes.
  const eventLine = (text: string) => page.waitForFunction((x: string) => [...(globalThis as any).document.querySelectorAll('#events li')].some((li: any) => li.textContent.includes(x)), { timeout: 10_000 }, text);
  await page.click('#split');
  await page.waitForFunction(() => (globalThis as any).document.querySelector('#partition-state')?.textContent === 'split: 1,2 | 3,4', { timeout: 10_000 });
  await eventLine('split 1,2 | 3,4: each side refuses the other');
  const h0 = Math.max((await tipOf(t, 2)).height, (await tipOf(t, 4)).height);
  // No connection crosses the split (the seeds 1 and 2 stay connected), and each side's miner extends its own branch.
  let lastEdges: string[] = [];
  await waitFor(async () => {
    lastEdges = await edgesFromGetPeers(t);
    return crossEdges(lastEdges).length === 0 && lastEdges.length >= 1;
  }, 15_000, 'getPeers to show no connection across the split', 200).catch((e: Error) => {
    throw new Error(`${e.message}: ${lastEdges.join(' ')}`);
  });
  let branches = ['', ''];
  await waitFor(async () => {
    const [a, b] = [await tipOf(t, 2), await tipOf(t, 4)];
    branches = [a.tip, b.tip];
    return a.tip !== b.tip && a.height > h0 && b.height > h0;
  }, 30_000, 'both sides to mine their own blocks', 200);
  assert.deepEqual(crossEdges(await edgesFromGetPeers(t)), [], 'still no connection across the split');
  const sides = await page.$$eval('#nodes tbody tr', (rows) => rows.map((r) => r.getAttribute('data-side')));
  assert.deepEqual(sides, ['0', '0', '1', '1']);
  // The page's block tree shows the two branches (both sides' tips, one of them on a side branch).
  await page.waitForFunction(
    (tips: string[]) => {
      const blocks = (globalThis as any).dashboard.snapshot.blocks as any[];
      return tips.every((h) => blocks.some((b) => b.hash === h)) && blocks.some((b) => !b.main && b.tips.length > 0);
    },
    { timeout: 10_000 },
    branches,
  );
  await mkdir(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, 'dashboard-split.png') });

  const healedAt = Date.now();
  await page.click('#heal');
  await page.waitForFunction(() => (globalThis as any).document.querySelector('#partition-state')?.textContent === 'network whole', { timeout: 10_000 });
  await eventLine('healed: 4 nodes accept every peer again');
  await waitFor(async () => crossEdges(await edgesFromGetPeers(t)).length > 0, 20_000, 'the sides to connect again after heal', 200);
  await waitFor(async () => {
    const tips = await Promise.all(t.nodes.map((n) => tipOf(t, n.index)));
    return tips.every((x) => x.tip === tips[0]!.tip);
  }, 20_000, 'all four nodes on one tip after heal', 200);
  // One branch won: its side's old tip is on the page's main chain, the other's is a side branch, and a node
  // of the losing side reports a reorg after the heal.
  const losers = await page.waitForFunction(
    (tips: string[], since: number) => {
      const s = (globalThis as any).dashboard.snapshot;
      const main = tips.map((h) => s.blocks.find((b: any) => b.hash === h)?.main);
      if (main[0] === main[1] || main.includes(undefined)) return false;
      const side = main[0] ? [3, 4] : [1, 2];
      return s.events.some((e: any) => e.kind === 'reorg' && e.at >= since && side.some((i) => e.text.startsWith(`node${i} reorg of depth`))) && side;
    },
    { timeout: 10_000 },
    branches,
    healedAt,
  );
  assert.equal(((await losers.jsonValue()) as number[]).length, 2);
  assert.deepEqual(consoleErrors, [], 'no console errors');
});

test('a node process serves /metrics on its RPC port in exposition format', { timeout: 20_000 }, async () => {
  const n = net!.nodes[0]!;
  const res = await fetch(`${n.rpc}/metrics`);
  assert.equal(res.status, 200);
  const e = parseExposition(await res.text());
  assert.ok(e.types.size > 20);
  const height = (await rpcCall<{ height: number }>(n.rpc, 'getInfo')).height;
  const scraped = sumOf(e, 'minichain_tip_height');
  assert.ok(scraped >= 1 && scraped <= height && height - scraped <= 3, `metrics height ${scraped}, getInfo ${height}`);
  assert.ok(sumOf(e, 'minichain_process_resident_memory_bytes') > 1e6);
});
