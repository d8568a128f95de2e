/**
 * `npm run bench`: runs every benchmark, prints a table and writes bench/results.json.
 * Figures are machine-dependent; verifyPerSec (noble, one core) is the yardstick the others read against.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import os from 'node:os';
import { packageRoot } from '../node/paths.js';
import { benchVerify } from './verify-bench.js';
import { benchChain } from './chain-bench.js';
import { benchP2P } from './p2p-bench.js';
import { benchTx } from './tx-bench.js';
import { benchSyncPipeline } from './sync-bench.js';
import { benchCompact } from './compact-bench.js';

const log = (s: string) => process.stdout.write(s + '\n');

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const results: Record<string, number | string> = {};
  log(`minichain bench on ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`);
  if (want('verify')) {
    log('signature verification ...');
    Object.assign(results, await benchVerify());
  }
  if (want('chain')) {
    log('ledger ...');
    Object.assign(results, await benchChain(log));
  }
  if (want('p2p')) {
    log('p2p ...');
    Object.assign(results, await benchP2P(log));
  }
  if (want('sync')) {
    log('sync pipeline (1 serving node process) ...');
    Object.assign(results, await benchSyncPipeline(log));
  }
  if (want('tx')) {
    log('transactions (node processes) ...');
    Object.assign(results, await benchTx(log));
  }
  if (want('compact')) {
    log('compact block relay (node processes) ...');
    Object.assign(results, await benchCompact(log));
  }
  if (typeof results.ingestTxPerSec === 'number' && typeof results.poolVerifyPerSec === 'number')
    results.ingestVsPoolVerify = Number((results.ingestTxPerSec / results.poolVerifyPerSec).toFixed(2));
  if (typeof results.ingestBatchTxPerSec === 'number' && typeof results.poolVerifyPerSec === 'number')
    results.ingestBatchVsPoolVerify = Number((results.ingestBatchTxPerSec / results.poolVerifyPerSec).toFixed(2));
  if (typeof results.syncSignedTxPerSec === 'number' && typeof results.poolVerifyPerSec === 'number')
    results.syncSignedVsPoolVerify = Number((results.syncSignedTxPerSec / results.poolVerifyPerSec).toFixed(2));
  const verify = Number(results.verifyPerSec);
  const rows: [string, string, string][] = Object.entries(results).map(([k, v]) => [
    k,
    typeof v === 'number' ? v.toLocaleString('en-US') : v,
    typeof v === 'number' && verify > 0 && /TxPerSec|PerSec$/.test(k) && k !== 'verifyPerSec' ? `${(v / verify).toFixed(1)}x verifyPerSec` : '',
  ]);
  const w0 = Math.max(...rows.map((r) => r[0].length), 6);
  const w1 = Math.max(...rows.map((r) => r[1].length), 5);
  log('');
  log(`${'metric'.padEnd(w0)}  ${'value'.padStart(w1)}  ratio`);
  for (const [k, v, r] of rows) log(`${k.padEnd(w0)}  ${v.padStart(w1)}  ${r}`);
  const out = { machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, date: new Date().toISOString() }, ...results };
  const path = join(packageRoot(), 'bench', 'results.json');
  await writeFile(path, JSON.stringify(out, null, 2) + '\n');
  log(`\nwrote ${path}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
