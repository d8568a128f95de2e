#!/usr/bin/env node
/**
 * `npm run testnet -- --nodes N [--miners K] [--dir D] [--reset]`: start a local multi-node testnet,
 * print the dev accounts and RPC URLs, then a live status table until Ctrl-C stops every node.
 */
import { Command } from 'commander';
import { loadGenesis } from '../config.js';
import { bundledGenesisPath, packageVersion } from '../paths.js';
import { startTestnet } from './launcher.js';
import { NetnsNetwork, createNetnsNetwork, netnsUnavailable } from './netns.js';
import { statusTable } from './status.js';
import { startTestnetDashboard, TestnetDashboard } from './dashboard-hook.js';

const program = new Command('minichain-testnet')
  .description('Start N minichain nodes on loopback that discover each other from the hard-coded seeds')
  .version(packageVersion())
  .option('--nodes <n>', 'number of nodes (the first three take the seed ports 7001-7003)', '5')
  .option('--miners <k>', 'number of mining nodes', '1')
  .option('--dir <dir>', 'directory for the datadirs, nodes.json and accounts.json', './.testnet')
  .option('--reset', 'delete the directory first and start from genesis', false)
  .option('--mine-duty <fraction>', 'fraction of a core each miner uses', '0.3')
  .option('--dashboard-port <port>', 'port of the live dashboard on 127.0.0.1', '7000')
  .option('--no-dashboard', 'do not start the live dashboard')
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
  const params = await loadGenesis(bundledGenesisPath());
  process.stdout.write(`starting ${nodes} nodes (${miners} mining) in ${o.dir} ...\n`);
  const dashboardPort = o.dashboard ? int(o.dashboardPort, '--dashboard-port', 0, 65535) : -1;
  // --hosts: the namespaces (and their teardown) live in netns.ts; the launcher only spawns into them.
  let hosts: NetnsNetwork | undefined;
  if (o.hosts) {
    const why = await netnsUnavailable();
    if (why) throw new Error(`--hosts: ${why}`);
    hosts = await createNetnsNetwork(nodes);
    process.stdout.write(`created ${nodes} network namespaces (${hosts.prefix}1..${nodes}) on bridge ${hosts.bridge}, ${hosts.hosts[0]!.ip}..${hosts.hosts[nodes - 1]!.ip}\n`);
  }
  const netns = hosts ? { net: hosts, port: 7001, rpcPort: 8001 } : undefined;
  const net = await startTestnet({ nodes, miners, dir: o.dir, reset: o.reset, mineDuty: Number(o.mineDuty), ...(netns ? { netns } : {}) }, params).catch(
    async (e: unknown) => {
      await hosts?.teardown();
      throw e;
    },
  );
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
    } catch (e) {
      out.push('', `Dashboard not started: ${(e as Error).message}`);
    }
  }
  out.push('', `Wrote ${net.dir}/nodes.json and ${net.dir}/accounts.json. Try, in another terminal:`);
  const rpcOpt = hosts ? ` --rpc ${net.nodes[0]!.rpc}` : '';
  out.push(`  MINICHAIN_PASSWORD=dev npm run -s wallet -- import ${net.accounts[0]?.privateKey ?? '<key>'} --name dev0`);
  out.push(`  MINICHAIN_PASSWORD=dev npm run -s wallet --${rpcOpt} send ${net.accounts[1]?.address ?? '<address>'} 1.5 --wait`);
  out.push('', 'Press Ctrl-C to stop every node (data is kept; --reset starts over).', '');
  process.stdout.write(out.join('\n') + '\n');

  const tty = process.stdout.isTTY === true;
  let lines = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    void statusTable(net.nodes).then((table) => {
      if (tty) {
        if (lines > 0) process.stdout.write(`\x1b[${lines}A\x1b[J`);
        process.stdout.write(table + '\n');
        lines = table.split('\n').length;
      } else if (ticks++ % 10 === 0) process.stdout.write(table + '\n\n');
    });
  }, 1000);

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    void dashboard?.stop();
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
}

main().catch((e: unknown) => {
  process.stderr.write(`minichain-testnet: error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
