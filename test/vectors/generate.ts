/**
 * Generator for test/vectors/core.json: canonical encodings, hashes, signatures, addresses and amounts
 * computed from fixed inputs (the public dev accounts, fixed amounts, nonces and timestamps).
 *
 * The committed JSON is the reference; test/unit/encoding-vectors.test.ts compares the core against it,
 * so an accidental change to any encoding fails. Regenerate only for a deliberate change:
 *   npx tsc -p . && node dist/test/vectors/generate.js > test/vectors/core.json
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bech32, bech32m } from '@scure/base';
import { Writer, fromHex, toHex } from '../../node/core/bytes.js';
import { devAccount } from '../../node/core/dev-accounts.js';
import { encodeAddress } from '../../node/core/address.js';
import { MAX_MONEY, formatAmount } from '../../node/core/amount.js';
import { Tx, UnsignedTx, encodeTx, encodeUnsignedTx, signTx, txId, txSigningHash } from '../../node/core/tx.js';
import {
  Block,
  BlockHeader,
  MAX_BLOCK_TXS_WIRE,
  blockHash,
  computeMerkleRoot,
  encodeBlock,
  encodeHeader,
  rewardLeaf,
} from '../../node/core/block.js';
import { ChainParams, encodeChainDefinition, parseGenesis } from '../../node/core/params.js';
import { DEV, makeBlock, repoRoot, testParams } from '../helpers/chain-fixtures.js';

const seq = (start: number, len: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (start + i) & 0xff);

function txVector(name: string, fromIndex: number, unsigned: UnsignedTx) {
  const acct = devAccount(fromIndex);
  const tx = signTx(unsigned, acct.privateKey);
  return {
    name,
    devAccount: fromIndex,
    privateKey: toHex(acct.privateKey),
    chainId: tx.chainId,
    from: toHex(tx.from),
    to: toHex(tx.to),
    amount: tx.amount.toString(),
    fee: tx.fee.toString(),
    nonce: tx.nonce.toString(),
    unsigned: toHex(encodeUnsignedTx(tx)),
    signingHash: toHex(txSigningHash(tx)),
    sig: toHex(tx.sig),
    encoded: toHex(encodeTx(tx)),
    id: toHex(txId(tx)),
  };
}

function headerFields(h: BlockHeader) {
  return {
    version: h.version,
    height: h.height,
    prevHash: toHex(h.prevHash),
    merkleRoot: toHex(h.merkleRoot),
    timestamp: h.timestamp,
    bits: h.bits,
    nonce: h.nonce.toString(),
  };
}

function headerVector(name: string, h: BlockHeader) {
  return { name, ...headerFields(h), encoded: toHex(encodeHeader(h)), hash: toHex(blockHash(h)) };
}

function blockVector(name: string, b: Block) {
  return {
    name,
    header: headerFields(b.header),
    miner: toHex(b.miner),
    reward: b.reward.toString(),
    txs: b.txs.map((t) => toHex(encodeTx(t))),
    rewardLeaf: toHex(rewardLeaf(b.header.height, b.miner, b.reward)),
    merkleRoot: toHex(computeMerkleRoot(b).root),
    encoded: toHex(encodeBlock(b)),
    hash: toHex(blockHash(b.header)),
  };
}

function genesisVector(name: string, p: ChainParams) {
  return {
    name,
    chainId: p.chainId,
    definition: toHex(encodeChainDefinition(p)),
    merkleRoot: toHex(p.genesis.header.merkleRoot),
    header: toHex(encodeHeader(p.genesis.header)),
    hash: toHex(p.genesisHash),
  };
}

/** Every vector, as the JSON object written to core.json. Deterministic: no clock, no randomness. */
export function buildCoreVectors() {
  const bundled = parseGenesis(JSON.parse(readFileSync(join(repoRoot(import.meta.url), 'genesis.json'), 'utf8')));
  const test = testParams();

  // Three transfers on the test chain (they also fill block 2) and one on the bundled chain with
  // multi-byte amount and nonce, so every u64 byte position is exercised.
  const unsigned: [string, number, UnsignedTx][] = [
    ['dev0 -> dev5, 1 coin, nonce 0', 0, { chainId: test.chainId, from: DEV[0]!.publicKey, to: DEV[5]!.addressHash, amount: 100_000_000n, fee: 1000n, nonce: 0n }],
    ['dev0 -> dev6, 2.5 coins, nonce 1', 0, { chainId: test.chainId, from: DEV[0]!.publicKey, to: DEV[6]!.addressHash, amount: 250_000_000n, fee: 2500n, nonce: 1n }],
    ['dev1 -> dev0, 0.00000001 coin, nonce 0', 1, { chainId: test.chainId, from: DEV[1]!.publicKey, to: DEV[0]!.addressHash, amount: 1n, fee: 1000n, nonce: 0n }],
    ['dev2 -> dev3 on chain 1337, large amount and nonce', 2, { chainId: bundled.chainId, from: DEV[2]!.publicKey, to: DEV[3]!.addressHash, amount: 123_456_789_012_345n, fee: 0x0102030405n, nonce: (1n << 40n) + 7n }],
  ];
  const txs = unsigned.map(([name, i, u]) => txVector(name, i, u));
  const signed: Tx[] = unsigned.map(([, i, u]) => signTx(u, devAccount(i).privateKey));

  const headers = [
    headerVector('ascending bytes', {
      version: 1,
      height: 1,
      prevHash: seq(0x00, 32),
      merkleRoot: seq(0x20, 32),
      timestamp: 1_767_225_601_234,
      bits: 0x1e53e2d6,
      nonce: 0x0102030405060708n,
    }),
    headerVector('maximum field values', {
      version: 0xffffffff,
      height: 0xffffffff,
      prevHash: new Uint8Array(32).fill(0xff),
      merkleRoot: new Uint8Array(32),
      timestamp: Number.MAX_SAFE_INTEGER,
      bits: 0x207fffff,
      nonce: 0xffffffffffffffffn,
    }),
  ];

  const g = { hash: test.genesisHash, height: 0, timestamp: test.genesisTimestamp };
  const block1 = makeBlock(test, g);
  const block2 = makeBlock(test, { hash: blockHash(block1.header), height: 1, timestamp: block1.header.timestamp }, signed.slice(0, 3));
  const blocks = [blockVector('empty block at height 1 on the test chain', block1), blockVector('block at height 2 with 3 txs', block2)];

  const addresses = [
    { hash: toHex(new Uint8Array(20)) },
    { hash: toHex(new Uint8Array(20).fill(0xff)) },
    { hash: toHex(seq(0, 20)) },
    ...[0, 1, 2].map((i) => ({ devAccount: i, publicKey: toHex(devAccount(i).publicKey), hash: toHex(devAccount(i).addressHash) })),
  ].map((a) => ({ ...a, address: encodeAddress(fromHex(a.hash)) }));
  const h0 = devAccount(0).addressHash;
  const good = encodeAddress(h0);
  const flipped = good.slice(0, -1) + (good.endsWith('q') ? 'p' : 'q');
  const invalidAddresses = [
    { address: bech32m.encode('bc', bech32m.toWords(h0)), why: 'wrong prefix' },
    { address: bech32.encode('mc', bech32.toWords(h0)), why: 'bech32 (BIP-173) checksum, not bech32m' },
    { address: flipped, why: 'one character changed' },
    { address: good.slice(0, 5) + good.slice(5, 10).toUpperCase() + good.slice(10), why: 'mixed case' },
    { address: bech32m.encode('mc', bech32m.toWords(h0.subarray(0, 19))), why: '19-byte payload' },
    { address: bech32m.encode('mc', bech32m.toWords(new Uint8Array(32))), why: '32-byte payload' },
    { address: '', why: 'empty' },
  ];

  const amounts = {
    parse: [
      ['0', '0'],
      ['1', '100000000'],
      ['0.00000001', '1'],
      ['1.5', '150000000'],
      ['007.10', '710000000'],
      [' 2 ', '200000000'],
      ['12345678.87654321', '1234567887654321'],
      ['21000000', MAX_MONEY.toString()],
    ],
    format: [
      ['0', '0'],
      ['1', '0.00000001'],
      ['100000000', '1'],
      ['150000000', '1.5'],
      ['1234567887654321', '12345678.87654321'],
      [MAX_MONEY.toString(), '21000000'],
      ['-150000000', '-1.5'],
    ].map(([base, text]) => {
      if (formatAmount(BigInt(base!)) !== text) throw new Error(`format vector disagrees: ${base}`);
      return [base, text];
    }),
    invalidParse: ['-1', '1.123456789', 'abc', '', '1.', '.5', '1e8', '0x10', '21000000.00000001', '1,5'],
  };

  // Malformed encodings; each must be refused with NodeError DECODE_ERROR.
  const tx0 = encodeTx(signed[0]!);
  const b1 = encodeBlock(block1);
  const bodyHead = b1.subarray(0, b1.length - 1); // header | miner | reward, without the tx count
  const withCount = (count: Uint8Array, rest: Uint8Array = new Uint8Array(0)) => toHex(Uint8Array.from([...bodyHead, ...count, ...rest]));
  const headerWithTimestamp = (ts: bigint) => {
    const h = encodeHeader(block1.header);
    new DataView(h.buffer).setBigUint64(72, ts, true);
    return toHex(h);
  };
  const invalidEncodings = [
    { kind: 'tx', why: 'truncated: 144 bytes', hex: toHex(tx0.subarray(0, 144)) },
    { kind: 'tx', why: 'trailing byte: 146 bytes', hex: toHex(Uint8Array.from([...tx0, 0])) },
    { kind: 'tx', why: 'empty', hex: '' },
    { kind: 'header', why: 'truncated: 91 bytes', hex: toHex(encodeHeader(block1.header).subarray(0, 91)) },
    { kind: 'header', why: 'trailing byte: 93 bytes', hex: toHex(Uint8Array.from([...encodeHeader(block1.header), 0])) },
    { kind: 'header', why: 'timestamp 2^53 (above the safe-integer range)', hex: headerWithTimestamp(1n << 53n) },
    { kind: 'header', why: 'timestamp 2^64 - 1', hex: headerWithTimestamp(0xffffffffffffffffn) },
    { kind: 'block', why: 'trailing byte', hex: toHex(Uint8Array.from([...b1, 0])) },
    { kind: 'block', why: 'truncated inside the tx count', hex: withCount(Uint8Array.of(0xfd, 0x01)) },
    { kind: 'block', why: 'non-canonical varint 0xfd 0x01 0x00 for 1', hex: withCount(Uint8Array.of(0xfd, 0x01, 0x00), tx0) },
    { kind: 'block', why: 'non-canonical varint 0xfe for 0xffff', hex: withCount(Uint8Array.of(0xfe, 0xff, 0xff, 0x00, 0x00)) },
    { kind: 'block', why: 'varint prefix 0xff is never used', hex: withCount(Uint8Array.of(0xff, 1, 0, 0, 0, 0, 0, 0, 0), tx0) },
    { kind: 'block', why: 'tx count above MAX_BLOCK_TXS_WIRE', hex: withCount(new Writer(5).varint(MAX_BLOCK_TXS_WIRE + 1).finish()) },
    { kind: 'block', why: 'tx count 0xffffffff', hex: withCount(Uint8Array.of(0xfe, 0xff, 0xff, 0xff, 0xff)) },
    { kind: 'block', why: 'count 2 with one tx', hex: withCount(Uint8Array.of(2), tx0) },
    { kind: 'block', why: 'count 1 with one tx and 1 extra byte', hex: withCount(Uint8Array.of(1), Uint8Array.from([...tx0, 0])) },
    { kind: 'block', why: 'count 0 with one tx', hex: withCount(Uint8Array.of(0), tx0) },
  ];

  return {
    comment: 'Generated by test/vectors/generate.ts from fixed inputs. Hex is lowercase; amounts and u64 values are decimal strings.',
    txs,
    headers,
    blocks,
    genesis: [genesisVector('bundled genesis.json', bundled), genesisVector('test/helpers testParams()', test)],
    addresses,
    invalidAddresses,
    amounts,
    invalidEncodings,
  };
}

export type CoreVectors = ReturnType<typeof buildCoreVectors>;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(JSON.stringify(buildCoreVectors(), null, 2) + '\n');
}
