#!/usr/bin/env node
/**
 * npm run scenario -- <name|file.json> [--nodes N] [--seed S] [--base-port P] [--json out.json]
 * Parses, runs (runner.ts), prints the report; exit code 0 = every invariant PASS, 1 = a FAIL, 2 = usage.
 */
import { Command } from 'commander';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadGenesis } from '../config.js';
import { bundledGenesisPath } from '../paths.js';
import { MAX_SCENARIO_NODES, SCENARIO_RPC_OFFSET } from './cluster.js';
import { formatReport, reportJson } from './report.js';
import { ScenarioRun } from './runner.js';
import { BUILT_IN, loadScenario } from './scenario.js';

/** Default port block: P2P 17100-17199, RPC 17200-17299; clear of the testnet's 7001-7010 / 8001-8010. */
export const DEFAULT_SCENARIO_BASE_PORT = 17100;

const int = (what: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new Error(`invalid ${what} "${v}": expected an integer in ${min}..${max}`);
  return n;
};

const program = new Command('scenario')
  .description(`Run a fault-injection scenario on a local cluster of minichain nodes and check invariants.\nBuilt-in: ${BUILT_IN.join(', ')}; or a scenario .json file.`)
  .argument('<scenario>', 'built-in name or path to a scenario .json')
  .option('--nodes <n>', 'node count (default: the scenario\'s)')
  .option('--seed <s>', 'PRNG seed (which nodes, which accounts)', '1')
  .option('--base-port <p>', `first P2P port; P2P uses [p, p+${SCENARIO_RPC_OFFSET}), RPC [p+${SCENARIO_RPC_OFFSET}, p+${2 * SCENARIO_RPC_OFFSET})`, String(DEFAULT_SCENARIO_BASE_PORT))
  .option('--scale <x>', 'multiply every step duration (long runs: 5)', '1')
  .option('--json <file>', 'also write the report as JSON')
  .option('--dir <dir>', 'node data directories (default: a new temp dir, removed on PASS)')
  .option('--keep', 'keep the node data even on PASS', false)
  .option('--quiet', 'no progress lines', false)
  .showHelpAfterError();

async function main(): Promise<number> {
  program.parse();
  const o = program.opts();
  const [name] = program.args as [string];
  const nodes = o.nodes === undefined ? undefined : int('--nodes', 1, MAX_SCENARIO_NODES)(o.nodes);
  const seed = int('--seed', 0, 2 ** 32 - 1)(o.seed);
  const basePort = int('--base-port', 1024, 65535 - 2 * SCENARIO_RPC_OFFSET)(o.basePort);
  const scale = Number(o.scale);
  if (!(scale > 0 && scale <= 100)) throw new Error(`invalid --scale "${o.scale}": expected a number in (0, 100]`);
  const scenario = await loadScenario(name);
  const params = await loadGenesis(bundledGenesisPath());
  const dir = o.dir ? resolve(o.dir) : await mkdtemp(join(tmpdir(), `minichain-scenario-${scenario.name}-`));
  const run = new ScenarioRun(scenario, params, {
    dir,
    basePort,
    seed,
    scale,
    keep: o.keep === true,
    ...(nodes !== undefined ? { nodes } : {}),
    ...(o.quiet ? {} : { progress: (l: string) => process.stderr.write(l + '\n') }),
  });
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    process.stderr.write('interrupted: stopping the nodes\n');
    void run.cluster.shutdown(3000).then(() => process.exit(130));
  });
  const report = await run.run();
  if (interrupted) return 130;
  process.stdout.write(formatReport(report) + '\n');
  if (o.json) await writeFile(resolve(o.json), JSON.stringify(reportJson(report), null, 2) + '\n');
  return report.pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`scenario: error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
