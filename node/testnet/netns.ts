/**
 * Multi-host testnet on one Linux machine (`npm run testnet -- --hosts`): one network namespace per node,
 * each with its own address from 198.18.0.0/15 (RFC 2544, reserved for network benchmarks, so it never
 * clashes with a real network), all joined by one bridge in the root namespace, which also gets an address
 * so that the launcher reaches every node's RPC. Every node listens on its own IP with the same port, and
 * discovers the others from the seeds exactly as on separate computers (non-loopback addresses, netgroups,
 * address relay rules).
 *
 * Everything is named `<prefix>…` (namespaces `<prefix>1`…, bridge `<prefix>br`, host-side veths
 * `<prefix>h1`…) and torn down by prefix: on exit, after Ctrl-C, and at the next start if a previous run
 * died. Only names with our prefix are ever touched. Needs root (CAP_NET_ADMIN) and the `ip` tool.
 *
 * Outer ring (child processes); imports nothing of the node.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DEFAULT_NETNS_PREFIX = 'mctn-';
/** The first three octets of the node addresses: node i (1-based) is <subnet>.i, the bridge <subnet>.254. */
export const DEFAULT_NETNS_SUBNET = '198.18.0';

export interface NetnsOptions {
  /** Name prefix, at most 8 characters (Linux interface names are at most 15). */
  prefix?: string;
  /** "a.b.c": a /24 inside 198.18.0.0/15. */
  subnet?: string;
}

export interface NetnsHost {
  index: number;
  ns: string;
  ip: string;
}

export interface NetnsNetwork {
  prefix: string;
  bridge: string;
  bridgeIp: string;
  hosts: NetnsHost[];
  /** argv prefix running a command inside host i's namespace (`ip netns exec <ns>`): the PID is the command's. */
  execArgs(host: NetnsHost): string[];
  /** Removes every namespace, veth and the bridge with this prefix. */
  teardown(): Promise<void>;
}

/**
 * Why namespaces cannot be used here, or undefined when they can (root on Linux with `ip`, and a
 * namespace can actually be created).
 */
export async function netnsUnavailable(prefix = DEFAULT_NETNS_PREFIX): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root (run as root, e.g. with sudo)';
  const probe = `${prefix}probe`;
  try {
    await ip(['netns', 'add', probe]);
    await ip(['netns', 'del', probe]);
    return undefined;
  } catch (e) {
    return `cannot create a network namespace: ${firstLine(e)}`;
  }
}

/**
 * Creates `count` namespaces on one bridge (after removing leftovers of the same prefix).
 * @throws Error with the failing `ip` command and its message; whatever was created is removed again.
 */
export async function createNetnsNetwork(count: number, opts: NetnsOptions = {}): Promise<NetnsNetwork> {
  const prefix = opts.prefix ?? DEFAULT_NETNS_PREFIX;
  const subnet = opts.subnet ?? DEFAULT_NETNS_SUBNET;
  if (!/^[a-z0-9-]{1,8}$/.test(prefix)) throw new Error(`invalid namespace prefix "${prefix}": 1-8 of a-z 0-9 -`);
  const m = /^198\.(18|19)\.(\d{1,3})$/.exec(subnet);
  if (!m || Number(m[2]) > 255) throw new Error(`invalid subnet "${subnet}": expected 198.18.x or 198.19.x (RFC 2544 benchmark range)`);
  if (!Number.isInteger(count) || count < 1 || count > 250) throw new Error(`invalid host count ${count}: 1..250`);
  await teardownNetns(prefix);
  const bridge = `${prefix}br`;
  const bridgeIp = `${subnet}.254`;
  const hosts: NetnsHost[] = [];
  const net: NetnsNetwork = {
    prefix,
    bridge,
    bridgeIp,
    hosts,
    execArgs: (h) => ['ip', 'netns', 'exec', h.ns],
    teardown: () => teardownNetns(prefix),
  };
  try {
    await ip(['link', 'add', bridge, 'type', 'bridge']);
    await ip(['addr', 'add', `${bridgeIp}/24`, 'dev', bridge]);
    await ip(['link', 'set', bridge, 'up']);
    for (let i = 1; i <= count; i++) {
      const ns = `${prefix}${i}`;
      const hostSide = `${prefix}h${i}`;
      const nsSide = `${prefix}n${i}`;
      const addr = `${subnet}.${i}`;
      await ip(['netns', 'add', ns]);
      await ip(['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide]);
      await ip(['link', 'set', nsSide, 'netns', ns]);
      await ip(['link', 'set', hostSide, 'master', bridge, 'up']);
      await ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', nsSide]);
      await ip(['-n', ns, 'link', 'set', nsSide, 'up']);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      hosts.push({ index: i, ns, ip: addr });
    }
    return net;
  } catch (e) {
    await teardownNetns(prefix);
    throw e;
  }
}

/** Deletes every namespace named `<prefix>…`, then the bridge and host-side veths. Never throws. */
export async function teardownNetns(prefix: string): Promise<void> {
  if (!prefix) return; // never everything
  let list = '';
  try {
    list = (await run('ip', ['netns', 'list'])).stdout;
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (name.startsWith(prefix)) await ip(['netns', 'del', name]).catch(() => undefined);
  }
  let links = '';
  try {
    links = (await run('ip', ['-o', 'link', 'show'])).stdout;
  } catch {
    return;
  }
  for (const line of links.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && name.startsWith(prefix)) await ip(['link', 'del', name]).catch(() => undefined);
  }
}

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 10_000 });
  } catch (e) {
    throw new Error(`ip ${args.join(' ')}: ${firstLine(e)}`);
  }
}

function firstLine(e: unknown): string {
  const err = e as { stderr?: string; message?: string };
  return (err.stderr || err.message || String(e)).trim().split('\n')[0] ?? '';
}

/** How node i of a multi-host testnet is started and reached. */
export interface NetnsNodeLayout {
  host: string;
  port: number;
  rpcPort: number;
  /** The command to spawn and the arguments before the node's own (`ip netns exec <ns> node`). */
  command: string;
  prefixArgs: string[];
  /** Node arguments: listen and serve RPC on the namespace's own IP, seeds = the first three hosts. */
  nodeArgs: string[];
}

/**
 * The launch plan of node `i` (0-based) in `net`: every node on its own IP with the same P2P `port`
 * and `rpcPort`; the first three hosts are the seeds (the bundled genesis seeds are loopback addresses,
 * which another host cannot reach).
 */
export function netnsNodeLayout(net: NetnsNetwork, i: number, port: number, rpcPort: number): NetnsNodeLayout {
  const h = net.hosts[i];
  if (!h) throw new Error(`no namespace for node ${i + 1}`);
  const [command, ...prefixArgs] = net.execArgs(h);
  const seeds = net.hosts.slice(0, 3).map((s) => `ws://${s.ip}:${port}`).join(',');
  return {
    host: h.ip,
    port,
    rpcPort,
    command: command!,
    prefixArgs: [...prefixArgs, process.execPath],
    nodeArgs: ['--host', h.ip, '--rpc-host', h.ip, '--rpc-port', String(rpcPort), '--seeds', seeds],
  };
}
