#!/usr/bin/env node
/**
 * `npm run testnet -- --nodes N [--miners K] [--dir D] [--base-port P] [--reset]`: start a local multi-node testnet,
 * print the dev accounts and RPC URLs, then a live status table until Ctrl-C stops every node.
 */
import { Command } from 'commander';
import { loadGenesis } from '../config.js';
import { bundledGenesisPath, packageVersion } from '../paths.js';
import { rpcCall } from '../rpc/client.js';
import { authedUrl, startTestnet } from './launcher.js';
import { NetnsNetwork, createNetnsNetwork, netnsUnavailable } from './netns.js';
import { statusTable } from './status.js';
import { startTestnetDashboard, TestnetDashboard } from './dashboard-hook.js';

const program = new Command('minichain-testnet')
  .description('Start N minichain nodes on loopback that discover each other from the hard-coded seeds')
  .version(packageVersion())
  .option('--nodes <n>', 'number of nodes (the first three are the seeds the others bootstrap from)', '5')
  .option('--base-port <port>', 'first P2P port; node i uses base+i, the first three are the seeds', '7001')
  .option('--rpc-base-port <port>', 'first JSON-RPC port (default: base port + 1000)')
  .option('--miners <k>', 'number of mining nodes', '1')
  .option('--dir <dir>', 'directory for the datadirs, nodes.json and accounts.json', './.testnet')
  .option('--reset', 'delete the directory first (it says what it removes) and start from genesis', false)
  .option('--mine-duty <fraction>', 'fraction of a core each miner uses', '0.3')
  .option('--dashboard-port <port>', 'port of the live dashboard on 127.0.0.1', '7000')
  .option('--no-dashboard', 'do not start the live dashboard')
  .option('--no-faults', 'start the nodes without --allow-faults (the dashboard then cannot split/heal the network)')
  .option('--hosts', 'one network namespace per node (Linux, as root): each node on its own IP in 198.18.0.0/24, same port', false)
  .showHelpAfterError();

function int(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`invalid ${what} "${text}": expected an integer in ${min}..${max}`);
  return n;
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts();
  const nodes = int(o.nodes, '--nodes', 1, 50);
  const miners = int(o.miners, '--miners', 0, nodes);
  const basePort = int(o.basePort, '--base-port', 1, 65535);
  const rpcBasePort = o.rpcBasePort === undefined ? basePort + 1000 : int(o.rpcBasePort, '--rpc-base-port', 1, 65535);
  const params = await loadGenesis(bundledGenesisPath());
  const dashboardPort = o.dashboard ? int(o.dashboardPort, '--dashboard-port', 0, 65535) : -1;
  // --hosts: the namespaces (and their teardown) live in netns.ts; the launcher only spawns into them.
  let hosts: NetnsNetwork | undefined;
  if (o.hosts) {
    const why = await netnsUnavailable();
    if (why) throw new Error(`--hosts: ${why}`);
    hosts = await createNetnsNetwork(nodes);
    process.stdout.write(`created ${nodes} network namespaces (${hosts.prefix}1..${nodes}) on bridge ${hosts.bridge}, ${hosts.hosts[0]!.ip}..${hosts.hosts[nodes - 1]!.ip}\n`);
  }
  const netns = hosts ? { net: hosts, port: basePort, rpcPort: rpcBasePort } : undefined;
  const t0 = Date.now();
  process.stdout.write(`starting ${nodes} nodes (${miners} mining) in ${o.dir}, P2P ports ${basePort}-${basePort + nodes - 1}, RPC ports ${rpcBasePort}-${rpcBasePort + nodes - 1} ...\n`);
  const net = await startTestnet(
    { nodes, miners, dir: o.dir, reset: o.reset, mineDuty: Number(o.mineDuty), basePort, rpcBasePort, allowFaults: o.faults === true, onReset: (line) => process.stdout.write(line + '\n'), ...(netns ? { netns } : {}) },
    params,
  ).catch(async (e: unknown) => {
    await hosts?.teardown();
    throw e;
  });
  process.stdout.write(`${nodes} nodes up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const out: string[] = [];
  out.push('', 'Dev accounts (PUBLIC keys from genesis.json: never use them for real value):');
  net.accounts.forEach((a, i) => out.push(`  (${i}) ${a.address}  private key ${a.privateKey}`));
  out.push('', 'Nodes:');
  for (const n of net.nodes) out.push(`  node${n.index}  p2p ${n.p2p}  rpc ${n.rpc}  pid ${n.pid}${n.miner ? '  (miner)' : ''}  log ${n.datadir}/node.log`);
  let dashboard: TestnetDashboard | undefined;
  if (dashboardPort >= 0) {
    try {
      dashboard = await startTestnetDashboard(net, { port: dashboardPort });
      out.push('', `Dashboard: ${dashboard.url}  (live peer graph, tips, block tree; --no-dashboard to skip)`);
      out.push(o.faults ? '  Nodes run with --allow-faults (test-only controls, for the dashboard\'s split/heal; --no-faults to turn off).' : '  --no-faults: the dashboard\'s split/heal buttons will report that the nodes refuse.');
    } catch (e) {
      out.push('', `Dashboard not started: ${(e as Error).message}`);
    }
  }
  const first = net.nodes[0]!;
  const rpcFlag = first.rpc === 'http://127.0.0.1:8001' ? '' : ` --rpc ${first.rpc.replace(/^http:\/\//, '')}`;
  out.push('', `Wrote ${net.dir}/nodes.json (each node's command line, to restart one by hand) and ${net.dir}/accounts.json. Try, in another terminal:`);
  // Beyond loopback (--hosts) the RPC wants the node's cookie.
  const cookie = hosts ? ` MINICHAIN_RPC_COOKIE=${first.datadir}/.cookie` : '';
  out.push(`  export MINICHAIN_PASSWORD=dev${rpcFlag ? ` MINICHAIN_RPC=${first.rpc}` : ''}${cookie}`);
  out.push(`  npm run -s wallet -- import --name dev0          # paste dev account 0's private key at the prompt`);
  out.push(`  npm run -s wallet -- send ${net.accounts[1]?.address ?? '<address>'} 1.5 --wait`);
  out.push(`  npm run -s wallet -- rpc getInfo`);
  out.push('', 'Press Ctrl-C to stop every node (data is kept; --reset starts over).', '');
  process.stdout.write(out.join('\n') + '\n');

  const tty = process.stdout.isTTY === true;
  let stopping = false;
  let lines = 0;
  let ticks = 0;
  const upSec = ((Date.now() - t0) / 1000).toFixed(1);
  let firstBlockSec: string | undefined;
  const timer = setInterval(() => {
    void statusTable(net.nodes).then((rows) => {
      if (stopping) return;
      const when = firstBlockSec ? `first block at ${firstBlockSec} s` : miners > 0 ? 'waiting for the first block' : 'no miners (--miners 0): no blocks';
      const table = `${net.nodes.length} nodes up at ${upSec} s, ${when}\n${rows}`;
      if (tty) {
        if (lines > 0) process.stdout.write(`\x1b[${lines}A\x1b[J`);
        process.stdout.write(table + '\n');
        lines = table.split('\n').length;
      } else if (ticks++ % 10 === 0) process.stdout.write(table + '\n\n');
    });
  }, 1000);

  const firstBlockTimer = setInterval(() => {
    void authedUrl(first)
      .then((url) => rpcCall<{ height: number }>(url, 'getInfo', [], 900))
      .then(
        (i) => {
          if (i.height > 0 && firstBlockSec === undefined) {
            firstBlockSec = ((Date.now() - t0) / 1000).toFixed(1);
            clearInterval(firstBlockTimer);
            if (!tty) process.stdout.write(`first block seen at ${firstBlockSec} s\n`);
          }
        },
        () => {},
      );
  }, 100);
  if (miners === 0) clearInterval(firstBlockTimer);

  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    void dashboard?.stop();
    clearInterval(firstBlockTimer);
    process.stdout.write(`\n${sig}: stopping ${net.nodes.length} nodes ...\n`);
    void net.stop().then(async () => {
      if (hosts) {
        await hosts.teardown();
        process.stdout.write(`removed the network namespaces ${hosts.prefix}*\n`);
      }
      process.stdout.write(`stopped; data kept in ${net.dir}\n`);
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  // A closed terminal or pipe (e.g. `| head`) must not orphan the nodes: stop them as on Ctrl-C.
  process.stdout.on('error', () => stop('output closed'));
  // Last resort, if the launcher dies some other way: every node still running gets its SIGTERM.
  process.on('exit', () => {
    for (const n of net.nodes) if (n.process.exitCode === null && n.process.signalCode === null) n.process.kill('SIGTERM');
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`minichain-testnet: error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
