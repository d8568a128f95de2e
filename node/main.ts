#!/usr/bin/env node
/**
 * minichain-node: parse options, load genesis, start the full node, handle signals. Short by design;
 * everything it composes lives in full-node.ts.
 */
import { watchForLoad } from './lean-heap.js'; // first: keeps the young generation lean until there is load (see there)
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { toHex } from './core/bytes.js';
import { isNodeError } from './core/errors.js';
import { DEFAULT_P2P_PORT, NodeConfig, RPC_PORT_OFFSET, loadGenesis, loadGenesisSeeds, parseHostPort, parsePort, parseSeeds } from './config.js';
import { bundledGenesisPath, packageVersion } from './paths.js';
import { isPortFree } from './port-check.js';

const program = new Command('minichain-node')
  .description('Run a minichain full node: P2P on --port, JSON-RPC on 127.0.0.1:--rpc-port')
  .version(packageVersion())
  .option('--datadir <dir>', 'data directory (chain database, peer database, node key)', './data')
  .option('--host <host>', 'P2P listen address (0.0.0.0 or :: for every interface)', '127.0.0.1')
  .option('--external-address <host:port>', 'address to announce to peers (default: one several peers agree they see us at)')
  .option('--port <port>', 'P2P port', String(DEFAULT_P2P_PORT))
  .option('--rpc-port <port>', `JSON-RPC port (default: P2P port + ${RPC_PORT_OFFSET})`)
  .option('--rpc-host <host>', 'JSON-RPC listen address; beyond loopback, clients need the cookie written to <datadir>/.cookie', '127.0.0.1')
  .option('--rpc-allow-origin <origins>', 'comma-separated browser origins allowed to call the RPC (e.g. http://localhost:3000), or "*"; none by default')
  .option('--seeds <list>', 'comma-separated host:port (IP or DNS name) or ws://host:port seeds, or "none" (default: the seeds of genesis.json, else the hard-coded local seeds)')
  .option('--mine', 'mine blocks', false)
  .option('--miner-address <address>', 'address paid by mined blocks (default: a key kept in the datadir)')
  .option('--mine-duty <fraction>', 'fraction of one CPU core the miner may use (0..1]', '0.5')
  .option('--genesis <file>', 'genesis file (default: the bundled genesis.json)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default('info'))
  .option('--max-outbound <n>', 'outbound peers to keep', '8')
  .option('--max-inbound <n>', 'inbound peers to accept', '32')
  .option('--refresh-interval <ms>', 'peer refresh interval (ping, getaddr, dial)', '10000')
  .option('--allow-faults', 'accept the test-only RPC controls setMockTime, setPeerFilter, setLinkFault (never in production)', false)
  .option('--no-compact', 'disable compact block relay (announce and fetch whole blocks only)')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts();
  const port = parsePort(o.port, '--port');
  const duty = Number(o.mineDuty);
  if (!(duty > 0 && duty <= 1)) throw new Error(`invalid --mine-duty "${o.mineDuty}": expected a number in (0, 1]`);
  const config: NodeConfig = {
    datadir: resolve(o.datadir),
    host: o.host,
    port,
    rpcHost: o.rpcHost,
    rpcPort: o.rpcPort !== undefined ? parsePort(o.rpcPort, '--rpc-port') : port + RPC_PORT_OFFSET,
    ...(o.rpcAllowOrigin ? { rpcAllowOrigins: String(o.rpcAllowOrigin).split(',') } : {}),
    seeds: [],
    mine: o.mine === true,
    minerAddress: o.minerAddress,
    mineDuty: duty,
    genesisPath: resolve(o.genesis ?? bundledGenesisPath()),
    logLevel: o.logLevel,
    maxOutbound: Number(o.maxOutbound),
    maxInbound: Number(o.maxInbound),
    refreshIntervalMs: Number(o.refreshInterval),
    allowFaults: o.allowFaults === true,
    ...(o.compact === false ? { compact: false } : {}),
  };
  if (o.externalAddress !== undefined) config.externalAddress = parseHostPort(o.externalAddress, '--external-address');
  // Before anything touches the disk: a taken port is one line, and no ./data is left behind.
  for (const [h, p, opt] of [[config.host, config.port, '--port'], [config.rpcHost, config.rpcPort, '--rpc-port']] as const) {
    if (!(await isPortFree(p, h))) throw new Error(`${opt === '--port' ? 'P2P' : 'RPC'} port ${p} is already in use on ${h} (another node or testnet?); choose another with ${opt}`);
  }
  // Loaded only now, so that --help and option errors answer without loading the node (about 0.2 s).
  const [{ FullNode }, { createLogger }] = await Promise.all([import('./full-node.js'), import('./logger.js')]);
  const log = createLogger(config.logLevel);
  const params = await loadGenesis(config.genesisPath);
  config.seeds = parseSeeds(o.seeds, await loadGenesisSeeds(config.genesisPath));
  const node = await FullNode.start(config, params, log);
  watchForLoad();
  log.info(
    {
      chainId: params.chainId,
      network: params.name,
      genesis: toHex(params.genesisHash),
      height: node.chain.height,
      tip: node.chain.tip.hashHex,
      p2p: `ws://${config.host}:${node.p2p.port}`,
      rpc: `http://${config.rpcHost}:${node.rpc.port}`,
      nodeId: node.nodeKey.nodeId,
      datadir: config.datadir,
      ...(config.allowFaults ? { allowFaults: true } : {}),
    },
    'minichain node started',
  );
  let signals = 0;
  const shutdown = (sig: string) => {
    if (++signals > 1) {
      log.warn({ sig }, 'second signal: exiting now');
      process.exit(130);
    }
    log.info({ sig }, 'shutting down');
    node.stop().then(
      () => {
        log.info({}, 'stopped cleanly');
        process.exit(0);
      },
      (e) => {
        log.error({ err: e }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  // Expected failures (port in use, locked datadir, wrong genesis) get one line and a non-zero exit.
  const msg = isNodeError(e) ? e.message : e instanceof Error ? e.message : String(e);
  process.stderr.write(`minichain-node: error: ${msg}\n`);
  if (!isNodeError(e) && process.env.MINICHAIN_DEBUG) console.error(e);
  process.exit(1);
});
