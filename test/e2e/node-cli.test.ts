/**
 * minichain-node as a user meets it: --help, one-line errors with exit code 1 for an unreadable or
 * malformed genesis file and for a datadir made for another genesis, and a graceful SIGTERM.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testGenesisJson } from '../helpers/chain-fixtures.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { rpcCall } from '../../node/rpc/client.js';

const NODE = fileURLToPath(new URL('../../node/main.js', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('--help lists the options and exits 0', async () => {
  const r = await runCli(NODE, ['--help']);
  assert.equal(r.code, 0);
  for (const opt of ['--datadir', '--port', '--rpc-port', '--seeds', '--mine', '--miner-address', '--genesis', '--log-level']) assert.ok(r.stdout.includes(opt), opt);
});

test('an unreadable or malformed genesis file is one clear line and exit 1', async () => {
  const tmp = await makeTmpDir('minichain-cli-');
  cleanups.push(tmp.remove);
  const missing = await runCli(NODE, ['--datadir', join(tmp.path, 'd'), '--genesis', join(tmp.path, 'nope.json'), '--port', '0', '--rpc-port', '0', '--seeds', 'none']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^minichain-node: error: cannot read genesis file .*nope\.json: ENOENT\n$/);
  const bad = join(tmp.path, 'bad.json');
  await writeFile(bad, '{ "name": ');
  const malformed = await runCli(NODE, ['--datadir', join(tmp.path, 'd'), '--genesis', bad, '--port', '0', '--rpc-port', '0', '--seeds', 'none']);
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /is not valid JSON/);
  assert.equal(malformed.stderr.trim().split('\n').length, 1);
  const wrong = join(tmp.path, 'wrong.json');
  await writeFile(wrong, JSON.stringify({ ...testGenesisJson(), bits: 'easy' }));
  const invalid = await runCli(NODE, ['--datadir', join(tmp.path, 'd'), '--genesis', wrong, '--port', '0', '--rpc-port', '0', '--seeds', 'none']);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /"bits" must be a hex string/);
});

/**
 * Starts a node process with `args` (after node's own path), collecting stdout and stderr together;
 * killed (SIGKILL) in the file's cleanup if it is still running.
 */
function spawnNode(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { child, out: () => text, exited };
}

test('SIGTERM shuts down cleanly; the datadir then refuses another genesis', { timeout: 60_000 }, async () => {
  const tmp = await makeTmpDir('minichain-cli-');
  cleanups.push(tmp.remove);
  const genesis = join(tmp.path, 'test-genesis.json');
  await writeFile(genesis, JSON.stringify(testGenesisJson()));
  const datadir = join(tmp.path, 'data');
  const { child, out, exited } = spawnNode([NODE, '--datadir', datadir, '--genesis', genesis, '--port', '0', '--rpc-port', '0', '--seeds', 'none', '--mine', '--mine-duty', '1']);
  await waitFor(() => out().includes('minichain node started') || child.exitCode !== null, 30_000, 'node start');
  assert.match(out(), /"nodeId":"0[23][0-9a-f]{64}"/);
  await waitFor(() => out().includes('mined block') || child.exitCode !== null, 30_000, 'a mined block');
  // Mining at a full core's duty never starves the event loop: RPC keeps answering, well within 2 s.
  const rpc = /"rpc":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out())![1]!;
  for (let i = 0; i < 20; i++) {
    const info = await rpcCall<{ height: number }>(rpc, 'getInfo', [], 2000);
    assert.ok(info.height >= 1);
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 0, out());
  assert.match(out(), /stopped cleanly/);
  const other = await runCli(NODE, ['--datadir', datadir, '--port', '0', '--rpc-port', '0', '--seeds', 'none']);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /belongs to another chain/);
});

test("Node's own flags work: --max-old-space-size reaches neither the verify nor the mining workers", { timeout: 60_000 }, async () => {
  const tmp = await makeTmpDir('minichain-cli-');
  cleanups.push(tmp.remove);
  const genesis = join(tmp.path, 'test-genesis.json');
  await writeFile(genesis, JSON.stringify(testGenesisJson()));
  // Workers refuse per-process flags (ERR_WORKER_INVALID_EXEC_ARGV): they must start with a clean execArgv.
  const args = ['--max-old-space-size=256', NODE, '--datadir', join(tmp.path, 'data'), '--genesis', genesis, '--port', '0', '--rpc-port', '0', '--seeds', 'none', '--mine', '--mine-duty', '1'];
  const { child, out, exited } = spawnNode(args);
  await waitFor(() => out().includes('mined block') || child.exitCode !== null, 30_000, 'a mined block');
  assert.doesNotMatch(out(), /ERR_WORKER_INVALID_EXEC_ARGV|worker error/);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, out());
});
