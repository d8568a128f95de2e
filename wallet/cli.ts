#!/usr/bin/env node
/**
 * minichain-wallet: the command line. Commander only: parse arguments, call wallet/commands.ts,
 * print the result (human text, or JSON on stdout with --json), and turn errors into a one-line
 * `error: …` on stderr plus the exit code from wallet/errors.ts. Imports wallet/ and node/core only.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { formatAmount } from '../node/core/amount.js';
import { keyInArgumentsError, readKeyText } from './key-input.js';
import * as cmds from './commands.js';
import { WalletError, exitCodeFor, isExpectedError, isWalletError } from './errors.js';
import { KeyInfo, scryptNFromEnv } from './keystore.js';
import { passwordSource } from './password.js';
import { DEFAULT_RPC_URL } from './rpc-client.js';

interface GlobalOpts {
  rpc: string;
  rpcCookie?: string;
  walletDir: string;
  json?: boolean;
}

function context(g: GlobalOpts): cmds.WalletContext {
  return {
    walletDir: path.resolve(g.walletDir),
    rpcUrl: g.rpc,
    scryptN: scryptNFromEnv(process.env),
    password: passwordSource(process.env, { stdin: process.stdin, stderr: process.stderr }),
    ...(g.rpcCookie === undefined ? {} : { rpcAuth: readCookieFile(g.rpcCookie) }),
  };
}

/** A node's .cookie file: `__cookie__:<hex>` (see node/rpc/cookie.ts). */
function readCookieFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new WalletError('USAGE', `cannot read the RPC cookie ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); it is <datadir>/.cookie of a node whose RPC listens beyond loopback`);
  }
}

function globals(cmd: Command): GlobalOpts {
  return cmd.optsWithGlobals<GlobalOpts>();
}

function out(line = ''): void {
  process.stdout.write(line + '\n');
}

function note(line: string): void {
  process.stderr.write(line + '\n');
}

/** --json prints `data`; otherwise `human` prints text. */
function print<T>(g: GlobalOpts, data: T, human: (d: T) => void): void {
  if (g.json) out(JSON.stringify(data, null, 2));
  else human(data);
}

function table(rows: [string, string][]): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out(`${k.padEnd(w)}  ${v}`);
}

/** Base units as a person reads them: "1.5 coins". */
const coins = (baseUnits: string) => `${formatAmount(BigInt(baseUnits))} coins`;

function printKey(verb: string) {
  return (k: KeyInfo) => out(`key "${k.name}" ${verb}: ${k.address}${k.isDefault ? ' (default)' : ''}`);
}

function parseSeconds(text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0) || n > 86_400)
    throw new WalletError('INVALID_INPUT', `invalid --wait-timeout "${text}": expected seconds from 1 to 86400`);
  return n * 1000;
}

const program = new Command('minichain-wallet')
  .description('Keys, balances and transfers for a minichain node. Keys are encrypted at rest and never leave the wallet.')
  .addOption(new Option('--rpc <address>', 'node JSON-RPC address: host:port or URL').env('MINICHAIN_RPC').default(DEFAULT_RPC_URL))
  .addOption(new Option('--rpc-cookie <file>', "the node's <datadir>/.cookie, when its RPC listens beyond loopback").env('MINICHAIN_RPC_COOKIE'))
  .addOption(
    new Option('--wallet-dir <dir>', 'directory of encrypted key files')
      .env('MINICHAIN_WALLET_DIR')
      .default(path.join(os.homedir(), '.minichain', 'wallet'), '~/.minichain/wallet'),
  )
  .option('--json', 'machine-readable output on stdout')
  .configureHelp({ showGlobalOptions: true })
  .addHelpText(
    'after',
    '\nAmounts and fees are in coins (1.5 = 150000000 base units); --json gives base units as decimal strings.\n' +
      'Environment: MINICHAIN_PASSWORD (else a hidden prompt), MINICHAIN_WALLET_DIR, MINICHAIN_RPC, MINICHAIN_RPC_COOKIE.\n' +
      'Exit codes: 1 usage/generic, 2 node unreachable, 3 wrong password, 4 invalid input,\n' +
      '            5 rejected by node, 6 insufficient funds, 7 not found, 8 confirmation timeout,\n' +
      '            9 node refused access (authentication, Host or Origin).',
  );

program
  .command('create')
  .description('generate a new key and store it encrypted (the first key becomes the default)')
  .option('--name <name>', 'key name (default: key1, key2, …)')
  .action(async (o: { name?: string }, cmd: Command) => {
    const g = globals(cmd);
    print(g, await cmds.createKey(context(g), o), printKey('created'));
  });

program
  .command('import')
  .description('store an existing private key (64 hex characters), encrypted; read from a hidden prompt, --stdin or --file, never from the arguments')
  .allowExcessArguments()
  .option('--stdin', 'read the key from standard input (e.g. echo <key> | minichain-wallet import --stdin)')
  .option('--file <path>', 'read the key from a file')
  .option('--name <name>', 'key name (default: key1, key2, …)')
  .action(async (o: { name?: string; stdin?: boolean; file?: string }, cmd: Command) => {
    // A key in the arguments is readable by every user in /proc/<pid>/cmdline and stays in shell history.
    if (cmd.args.length > 0) throw keyInArgumentsError();
    const g = globals(cmd);
    const privateKeyHex = await readKeyText({ ...(o.stdin ? { stdin: true } : {}), ...(o.file === undefined ? {} : { file: o.file }) }, { stdin: process.stdin, stderr: process.stderr });
    print(g, await cmds.importKey(context(g), { privateKeyHex, ...(o.name === undefined ? {} : { name: o.name }) }), printKey('imported'));
  });

program
  .command('list')
  .description('list the keys in the wallet (* marks the default)')
  .action(async (_o: unknown, cmd: Command) => {
    const g = globals(cmd);
    print(g, await cmds.listKeys(context(g)), (keys) => {
      if (keys.length === 0) return note(`no keys in ${path.resolve(g.walletDir)}`);
      const w = Math.max(...keys.map((k) => k.name.length));
      for (const k of keys) out(`${k.isDefault ? '*' : ' '} ${k.name.padEnd(w)}  ${k.address}`);
    });
  });

program
  .command('address')
  .description("print a key's address (default key when no name is given)")
  .argument('[name]', 'key name')
  .action(async (name: string | undefined, _o: unknown, cmd: Command) => {
    const g = globals(cmd);
    print(g, await cmds.showAddress(context(g), name === undefined ? {} : { name }), (k) => out(k.address));
  });

program
  .command('balance')
  .description('show the balance of an address or key name (default key when omitted)')
  .argument('[address]', 'address or key name')
  .action(async (address: string | undefined, _o: unknown, cmd: Command) => {
    const g = globals(cmd);
    print(g, await cmds.getBalance(context(g), address === undefined ? {} : { address }), (b) =>
      table([
        ['address', b.address],
        ['balance', `${b.balanceCoins} coins`],
        ['nonce', b.nonce === b.pendingNonce ? b.nonce : `${b.nonce} (pending ${b.pendingNonce})`],
      ]),
    );
  });

program
  .command('send')
  .description('sign a transfer locally and submit it; prints the transaction id')
  .argument('<to>', 'recipient address')
  .argument('<amount>', 'amount in coins, e.g. 1.5')
  .option('--fee <coins>', 'fee in coins', '0.00001')
  .option('--from <name>', 'key name or address to send from (default key when omitted)')
  .option('--wait', 'wait until the transaction is confirmed')
  .option('--wait-timeout <seconds>', 'how long --wait waits', '60')
  .action(async (to: string, amount: string, o: { fee: string; from?: string; wait?: boolean; waitTimeout: string }, cmd: Command) => {
    const g = globals(cmd);
    const ctx = context(g);
    const timeoutMs = o.wait ? parseSeconds(o.waitTimeout) : 0;
    const sent = await cmds.send(ctx, { to, amount, fee: o.fee, ...(o.from === undefined ? {} : { from: o.from }) });
    if (!o.wait) return print(g, sent, (s) => out(s.id));
    if (!g.json) out(sent.id);
    const onProgress = g.json ? undefined : note;
    const done = await cmds.waitForConfirmation(ctx, { id: sent.id, timeoutMs, ...(onProgress ? { onProgress } : {}) });
    const confirmed = { status: done.status, height: done.height, blockHash: done.blockHash, confirmations: done.confirmations };
    print(g, { ...sent, ...confirmed }, (d) => out(`confirmed at height ${d.height ?? '?'}${d.blockHash ? ` in block ${d.blockHash}` : ''}`));
  });

program
  .command('tx')
  .description('show a transaction by id')
  .argument('<id>', 'transaction id (64 hex characters)')
  .action(async (id: string, _o: unknown, cmd: Command) => {
    const g = globals(cmd);
    print(g, await cmds.getTx(context(g), { id }), (t) => {
      const where = t.status === 'confirmed' ? ` at height ${t.height ?? '?'} (${t.confirmations ?? '?'} confirmations)` : '';
      table([
        ['id', t.id],
        ['status', t.status + where],
        ...(t.blockHash ? ([['block', t.blockHash]] as [string, string][]) : []),
        ['from', t.tx.from],
        ['to', t.tx.to],
        ['amount', coins(t.tx.amount)],
        ['fee', coins(t.tx.fee)],
        ['nonce', t.tx.nonce],
      ]);
    });
  });

program
  .command('history')
  .description('list confirmed transfers of an address or key name, newest first')
  .argument('[address]', 'address or key name (default key when omitted)')
  .option('--limit <n>', 'at most this many entries')
  .action(async (address: string | undefined, o: { limit?: string }, cmd: Command) => {
    const g = globals(cmd);
    const opts = { ...(address === undefined ? {} : { address }), ...(o.limit === undefined ? {} : { limit: o.limit }) };
    print(g, await cmds.getHistory(context(g), opts), (rows) => {
      if (rows.length === 0) return note('no transactions');
      for (const r of rows) out(`${r.height}  ${r.id}  ${r.from} -> ${r.to}  ${coins(r.amount)} (fee ${coins(r.fee)})`);
    });
  });

program
  .command('rpc')
  .description('call any JSON-RPC method and print its JSON result, like bitcoin-cli / cast rpc ("rpc help" lists the methods)')
  .argument('<method>', 'method name, e.g. getInfo')
  .argument('[params...]', 'parameters, each read as JSON when it parses (1, true, "[1,2]"), else as a string')
  .action(async (method: string, params: string[], _o: unknown, cmd: Command) => {
    const g = globals(cmd);
    out(JSON.stringify(await cmds.rawRpc(context(g), { method, params }), null, 2));
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  // Expected failures are one line; anything else is a bug and keeps its stack for the report.
  let text = isExpectedError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  if (isWalletError(e, 'NODE_UNREACHABLE'))
    text += '; is a node running there? Point the wallet at another with --rpc host:port or MINICHAIN_RPC (npm run testnet prints each node\'s RPC address)';
  process.stderr.write(`error: ${text}\n`);
  process.exitCode = exitCodeFor(e);
});
