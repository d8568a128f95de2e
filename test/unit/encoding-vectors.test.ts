/**
 * The canonical encoding against the committed vectors in test/vectors/core.json: any accidental change
 * to a byte of a tx, header, block, signature, address or genesis hash fails here. Also round trips and
 * strict decoding (truncation, trailing bytes, non-canonical varints, oversized counts, long timestamps).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, createPublicKey, verify as osslVerify } from 'node:crypto';
import { NodeError } from '../../node/core/errors.js';
import { Reader, Writer, fromHex, toHex } from '../../node/core/bytes.js';
import { Tx, TX_SIZE, TX_UNSIGNED_SIZE, decodeTx, encodeTx, encodeUnsignedTx, signTx, txId, txSigningHash } from '../../node/core/tx.js';
import {
  Block,
  BlockHeader,
  HEADER_SIZE,
  MAX_BLOCK_TXS_WIRE,
  blockHash,
  blockSize,
  computeMerkleRoot,
  decodeBlock,
  decodeHeader,
  encodeBlock,
  encodeHeader,
  rewardLeaf,
} from '../../node/core/block.js';
import { decodeAddress, encodeAddress } from '../../node/core/address.js';
import { formatAmount, parseAmount } from '../../node/core/amount.js';
import { encodeChainDefinition, parseGenesis } from '../../node/core/params.js';
import { devAccount } from '../../node/core/dev-accounts.js';
import { referenceVerifier } from '../../node/core/keys.js';
import { checkBlockSanity } from '../../node/core/check-block.js';
import { repoRoot, testParams } from '../helpers/chain-fixtures.js';
import { CoreVectors, buildCoreVectors } from '../vectors/generate.js';

const ROOT = repoRoot(import.meta.url);
const V = JSON.parse(readFileSync(join(ROOT, 'test/vectors/core.json'), 'utf8')) as CoreVectors;

/** Independent of noble: node:crypto (OpenSSL) double SHA-256. */
const sha256dOssl = (b: Uint8Array): string =>
  createHash('sha256').update(createHash('sha256').update(b).digest()).digest('hex');

function isDecodeError(e: unknown): boolean {
  return e instanceof NodeError && e.code === 'DECODE_ERROR';
}

function headerFrom(h: CoreVectors['headers'][number] | CoreVectors['blocks'][number]['header']): BlockHeader {
  return {
    version: h.version,
    height: h.height,
    prevHash: fromHex(h.prevHash),
    merkleRoot: fromHex(h.merkleRoot),
    timestamp: h.timestamp,
    bits: h.bits,
    nonce: BigInt(h.nonce),
  };
}

function blockFrom(b: CoreVectors['blocks'][number]): Block {
  return { header: headerFrom(b.header), miner: fromHex(b.miner), reward: BigInt(b.reward), txs: b.txs.map((t) => decodeTx(fromHex(t))) };
}

/** secp256k1 compressed public key as an SPKI DER, so OpenSSL can check our signatures independently. */
function osslPublicKey(compressed: Uint8Array) {
  const prefix = fromHex('3036301006072a8648ce3d020106052b8104000a032200');
  return createPublicKey({ key: Buffer.from([...prefix, ...compressed]), format: 'der', type: 'spki' });
}

describe('vector file', () => {
  test('the generator reproduces the committed core.json exactly', () => {
    // On a deliberate change (e.g. genesis.json): node dist/test/vectors/generate.js > test/vectors/core.json
    assert.deepEqual(buildCoreVectors(), V);
  });

  test('has the promised coverage', () => {
    assert.ok(V.txs.length >= 3);
    assert.ok(V.headers.length >= 2);
    assert.equal(V.blocks.length, 2);
    assert.equal(V.blocks[0]!.txs.length, 0);
    assert.equal(V.blocks[1]!.txs.length, 3);
    assert.equal(V.genesis.length, 2);
  });
});

describe('transaction vectors', () => {
  for (const v of V.txs) {
    test(v.name, () => {
      const acct = devAccount(v.devAccount);
      assert.equal(toHex(acct.privateKey), v.privateKey);
      assert.equal(toHex(acct.publicKey), v.from);
      const unsigned = { chainId: v.chainId, from: fromHex(v.from), to: fromHex(v.to), amount: BigInt(v.amount), fee: BigInt(v.fee), nonce: BigInt(v.nonce) };
      const u = encodeUnsignedTx(unsigned);
      assert.equal(u.length, TX_UNSIGNED_SIZE);
      assert.equal(toHex(u), v.unsigned);
      assert.equal(toHex(txSigningHash(unsigned)), v.signingHash);
      assert.equal(sha256dOssl(u), v.signingHash, 'signing hash is sha256d of the 81 unsigned bytes');
      const tx = signTx(unsigned, acct.privateKey);
      assert.equal(toHex(tx.sig), v.sig, 'RFC 6979 signatures are deterministic');
      const enc = encodeTx(tx);
      assert.equal(enc.length, TX_SIZE);
      assert.equal(toHex(enc), v.encoded);
      assert.equal(toHex(txId(tx)), v.id);
      assert.equal(sha256dOssl(enc), v.id, 'id is sha256d of all 145 bytes');
      assert.equal(v.encoded, v.unsigned + v.sig, 'encoding is unsigned bytes followed by the signature');
    });
  }

  test('round trip: decode(encode(tx)) == tx and encode(decode(bytes)) == bytes', () => {
    for (const v of V.txs) {
      const tx = decodeTx(fromHex(v.encoded));
      assert.equal(tx.chainId, v.chainId);
      assert.equal(toHex(tx.from), v.from);
      assert.equal(toHex(tx.to), v.to);
      assert.equal(tx.amount, BigInt(v.amount));
      assert.equal(tx.fee, BigInt(v.fee));
      assert.equal(tx.nonce, BigInt(v.nonce));
      assert.equal(toHex(tx.sig), v.sig);
      assert.equal(toHex(encodeTx(tx)), v.encoded);
    }
  });

  test('signature is ECDSA-with-SHA256 over the signing hash: OpenSSL verifies it, noble verifies it', () => {
    for (const v of V.txs) {
      const hash = fromHex(v.signingHash);
      const sig = fromHex(v.sig);
      assert.equal(referenceVerifier.verify(hash, sig, fromHex(v.from)), true);
      assert.equal(osslVerify('sha256', hash, { key: osslPublicKey(fromHex(v.from)), dsaEncoding: 'ieee-p1363' }, sig), true);
      // and not over the unsigned bytes themselves, nor with the hash signed raw
      assert.equal(osslVerify('sha256', fromHex(v.unsigned), { key: osslPublicKey(fromHex(v.from)), dsaEncoding: 'ieee-p1363' }, sig), false);
    }
  });
});

describe('header vectors', () => {
  for (const v of V.headers) {
    test(v.name, () => {
      const h = headerFrom(v);
      const enc = encodeHeader(h);
      assert.equal(enc.length, HEADER_SIZE);
      assert.equal(toHex(enc), v.encoded);
      assert.equal(toHex(blockHash(h)), v.hash);
      assert.equal(sha256dOssl(enc), v.hash);
      assert.deepEqual(decodeHeader(enc), h);
      assert.equal(toHex(encodeHeader(decodeHeader(fromHex(v.encoded)))), v.encoded);
    });
  }
});

describe('block vectors', () => {
  for (const v of V.blocks) {
    test(v.name, () => {
      const b = blockFrom(v);
      const enc = encodeBlock(b);
      assert.equal(toHex(enc), v.encoded);
      assert.equal(enc.length, blockSize(b));
      assert.equal(toHex(rewardLeaf(b.header.height, b.miner, b.reward)), v.rewardLeaf);
      const { root, mutated } = computeMerkleRoot(b);
      assert.equal(mutated, false);
      assert.equal(toHex(root), v.merkleRoot);
      assert.equal(v.header.merkleRoot, v.merkleRoot, 'the header commits to the body');
      assert.equal(toHex(blockHash(b.header)), v.hash);
      assert.equal(v.encoded.slice(0, HEADER_SIZE * 2), toHex(encodeHeader(b.header)), 'a block starts with its header');
      const back = decodeBlock(enc);
      assert.deepEqual(back, b);
      assert.equal(toHex(encodeBlock(back)), v.encoded);
      assert.equal(checkBlockSanity(b, testParams()).ok, true, 'the vector blocks are valid on the test chain');
    });
  }

  test('reward leaf is sha256d(height u32 | miner 20 | reward u64)', () => {
    for (const v of V.blocks) {
      const pre = new Writer(32).u32(v.header.height).bytes(fromHex(v.miner)).u64(BigInt(v.reward)).finish();
      assert.equal(pre.length, 32);
      assert.equal(sha256dOssl(pre), v.rewardLeaf);
    }
  });

  test('merkle root of the 3-tx block recomputed by hand with OpenSSL', () => {
    const v = V.blocks[1]!;
    const ids = v.txs.map((t) => sha256dOssl(fromHex(t)));
    const pair = (a: string, b: string) => sha256dOssl(fromHex(a + b));
    const root = pair(pair(v.rewardLeaf, ids[0]!), pair(ids[1]!, ids[2]!));
    assert.equal(root, v.merkleRoot);
  });

  test('block 2 builds on block 1, which builds on the testParams() genesis', () => {
    assert.equal(V.blocks[0]!.header.prevHash, V.genesis[1]!.hash);
    assert.equal(V.blocks[1]!.header.prevHash, V.blocks[0]!.hash);
  });
});

describe('genesis vectors', () => {
  test('bundled genesis.json', () => {
    const v = V.genesis[0]!;
    const p = parseGenesis(JSON.parse(readFileSync(join(ROOT, 'genesis.json'), 'utf8')));
    assert.equal(toHex(encodeChainDefinition(p)), v.definition);
    assert.equal(sha256dOssl(fromHex(v.definition)), v.merkleRoot);
    assert.equal(toHex(p.genesis.header.merkleRoot), v.merkleRoot);
    assert.equal(toHex(encodeHeader(p.genesis.header)), v.header);
    assert.equal(toHex(p.genesisHash), v.hash);
  });

  test('testParams()', () => {
    const v = V.genesis[1]!;
    const p = testParams();
    assert.equal(toHex(encodeChainDefinition(p)), v.definition);
    assert.equal(toHex(p.genesisHash), v.hash);
    assert.equal(toHex(encodeHeader(p.genesis.header)), v.header);
  });

  test('any parameter change changes the genesis hash', () => {
    const base = toHex(testParams().genesisHash);
    for (const o of [{ chainId: 4243 }, { minFee: '1001' }, { name: 'minichain-tesT' }, { maxBlockTxs: 4999 }, { timestamp: 1_700_000_000_001 }]) {
      assert.notEqual(toHex(testParams(o).genesisHash), base, JSON.stringify(o));
    }
  });
});

describe('address vectors', () => {
  for (const v of V.addresses) {
    test(`${v.hash} <-> ${v.address}`, () => {
      assert.equal(encodeAddress(fromHex(v.hash)), v.address);
      assert.equal(toHex(decodeAddress(v.address)), v.hash);
      assert.equal(toHex(decodeAddress(v.address.toUpperCase())), v.hash, 'BIP-350: an all-uppercase string is the same address');
      if ('devAccount' in v && v.devAccount !== undefined) {
        assert.equal(toHex(devAccount(v.devAccount).publicKey), v.publicKey);
        assert.equal(devAccount(v.devAccount).address, v.address);
      }
    });
  }

  for (const v of V.invalidAddresses) {
    test(`invalid address (${v.why}) is refused`, () => {
      assert.throws(() => decodeAddress(v.address), (e: unknown) => e instanceof NodeError && e.code === 'INVALID_ARGUMENT');
    });
  }
});

describe('amount vectors', () => {
  for (const [text, base] of V.amounts.parse) {
    test(`parseAmount(${JSON.stringify(text)}) = ${base}`, () => assert.equal(parseAmount(text!), BigInt(base!)));
  }
  for (const [base, text] of V.amounts.format) {
    test(`formatAmount(${base}) = ${text}`, () => assert.equal(formatAmount(BigInt(base!)), text));
  }
  for (const text of V.amounts.invalidParse) {
    test(`parseAmount(${JSON.stringify(text)}) is refused`, () => {
      assert.throws(() => parseAmount(text), (e: unknown) => e instanceof NodeError && e.code === 'INVALID_ARGUMENT');
    });
  }
  test('format then parse is the identity on non-negative amounts', () => {
    for (const [base] of V.amounts.format) {
      if (base!.startsWith('-')) continue;
      assert.equal(parseAmount(formatAmount(BigInt(base!))), BigInt(base!));
    }
  });
});

describe('docs/protocol.md', () => {
  test('the "Canonical encoding" section quotes the same vectors as core.json', () => {
    const doc = readFileSync(join(ROOT, 'docs/protocol.md'), 'utf8');
    const start = doc.indexOf('## Canonical encoding');
    assert.ok(start >= 0, 'section "## Canonical encoding" exists');
    const next = doc.indexOf('\n## ', start + 1);
    const section = doc.slice(start, next < 0 ? undefined : next);
    const tx = V.txs[0]!;
    const quoted: [string, string][] = [
      ['tx unsigned', tx.unsigned], ['tx signing hash', tx.signingHash], ['tx sig', tx.sig], ['tx encoding', tx.encoded], ['tx id', tx.id],
      ['header encoding', V.headers[0]!.encoded], ['header hash', V.headers[0]!.hash],
      ['empty block encoding', V.blocks[0]!.encoded], ['empty block hash', V.blocks[0]!.hash], ['empty block reward leaf', V.blocks[0]!.rewardLeaf],
      ['3-tx block encoding', V.blocks[1]!.encoded], ['3-tx block merkle root', V.blocks[1]!.merkleRoot], ['3-tx block hash', V.blocks[1]!.hash],
      ['bundled genesis hash', V.genesis[0]!.hash], ['test genesis hash', V.genesis[1]!.hash], ['test chain definition', V.genesis[1]!.definition],
      ...V.addresses.map((a): [string, string] => [`address of ${a.hash}`, a.address]),
    ];
    for (const [what, hex] of quoted) assert.ok(section.includes(hex), `docs/protocol.md is out of date: ${what} ${hex} not found`);
  });
});

describe('strict decoding', () => {
  for (const v of V.invalidEncodings) {
    test(`${v.kind}: ${v.why} -> DECODE_ERROR`, () => {
      const bytes = fromHex(v.hex);
      const decode = v.kind === 'tx' ? decodeTx : v.kind === 'header' ? decodeHeader : decodeBlock;
      assert.throws(() => decode(bytes), isDecodeError);
    });
  }

  const tx0 = fromHex(V.txs[0]!.encoded);
  const block2 = fromHex(V.blocks[1]!.encoded);
  const prefixLen = HEADER_SIZE + 20 + 8;

  test('tx: every truncation and every extension is refused', () => {
    for (let n = 0; n < TX_SIZE; n++) assert.throws(() => decodeTx(tx0.subarray(0, n)), isDecodeError, `length ${n}`);
    for (const extra of [1, 2, 145]) assert.throws(() => decodeTx(new Uint8Array(TX_SIZE + extra)), isDecodeError);
    assert.equal(decodeTx(tx0).nonce, 0n, 'the untouched encoding decodes');
  });

  test('tx: 144 bytes and 146 bytes', () => {
    assert.throws(() => decodeTx(tx0.subarray(0, 144)), (e: unknown) => isDecodeError(e) && /tx\.sig/.test((e as Error).message));
    assert.throws(() => decodeTx(Uint8Array.from([...tx0, 0])), (e: unknown) => isDecodeError(e) && /trailing/.test((e as Error).message));
  });

  test('block: trailing bytes and every truncation are refused', () => {
    assert.throws(() => decodeBlock(Uint8Array.from([...block2, 0])), isDecodeError);
    for (let n = 0; n < block2.length; n += 7) assert.throws(() => decodeBlock(block2.subarray(0, n)), isDecodeError, `length ${n}`);
    assert.throws(() => decodeBlock(block2.subarray(0, block2.length - 1)), isDecodeError);
    assert.equal(decodeBlock(block2).txs.length, 3);
  });

  test('non-canonical varint 0xfd 0x01 0x00 as the tx count', () => {
    const bad = Uint8Array.from([...block2.subarray(0, prefixLen), 0xfd, 0x03, 0x00, ...block2.subarray(prefixLen + 1)]);
    assert.throws(() => decodeBlock(bad), (e: unknown) => isDecodeError(e) && /non-canonical/.test((e as Error).message));
    assert.throws(() => new Reader(Uint8Array.of(0xfd, 0x01, 0x00)).varint(), isDecodeError);
    assert.throws(() => new Reader(Uint8Array.of(0xfd, 0xfc, 0x00)).varint(), isDecodeError);
    assert.throws(() => new Reader(Uint8Array.of(0xfe, 0xff, 0xff, 0x00, 0x00)).varint(), isDecodeError);
    assert.throws(() => new Reader(Uint8Array.of(0xff, 0, 0, 0, 0, 1, 0, 0, 0)).varint(), isDecodeError);
    // the minimal forms at each boundary are accepted
    assert.equal(new Reader(Uint8Array.of(0xfc)).varint(), 0xfc);
    assert.equal(new Reader(Uint8Array.of(0xfd, 0xfd, 0x00)).varint(), 0xfd);
    assert.equal(new Reader(Uint8Array.of(0xfd, 0xff, 0xff)).varint(), 0xffff);
    assert.equal(new Reader(Uint8Array.of(0xfe, 0x00, 0x00, 0x01, 0x00)).varint(), 0x10000);
  });

  test('Writer emits the minimal varint and the Reader reads it back', () => {
    for (const [v, hex] of [[0, '00'], [0xfc, 'fc'], [0xfd, 'fdfd00'], [0xffff, 'fdffff'], [0x10000, 'fe00000100'], [0xffffffff, 'feffffffff']] as const) {
      const enc = new Writer(1).varint(v).finish();
      assert.equal(toHex(enc), hex);
      const r = new Reader(enc);
      assert.equal(r.varint(), v);
      r.end();
    }
  });

  test('tx count above MAX_BLOCK_TXS_WIRE is refused from the count alone, before any allocation', () => {
    const prefix = block2.subarray(0, prefixLen);
    const over = Uint8Array.from([...prefix, ...new Writer(5).varint(MAX_BLOCK_TXS_WIRE + 1).finish()]);
    assert.throws(
      () => decodeBlock(over),
      (e: unknown) => isDecodeError(e) && (e as Error).message === `"block.txCount" expected <= ${MAX_BLOCK_TXS_WIRE}, got ${MAX_BLOCK_TXS_WIRE + 1}`,
    );
    // 2^32 - 1 would be a RangeError from `new Array` if the count reached the allocation
    const huge = Uint8Array.from([...prefix, 0xfe, 0xff, 0xff, 0xff, 0xff]);
    assert.throws(() => decodeBlock(huge), isDecodeError);
  });

  test('a block whose byte length does not match its tx count is refused before reading any tx', () => {
    const prefix = block2.subarray(0, prefixLen);
    const txs = block2.subarray(prefixLen + 1);
    for (const count of [0, 1, 2, 4, MAX_BLOCK_TXS_WIRE]) {
      const bad = Uint8Array.from([...prefix, ...new Writer(3).varint(count).finish(), ...txs]);
      assert.throws(
        () => decodeBlock(bad),
        (e: unknown) => isDecodeError(e) && /"block\.txs" expected \d+ bytes, got 435/.test((e as Error).message),
        `count ${count}`,
      );
    }
  });

  test('over-long timestamps: above 2^53 - 1 is refused by the header and block decoders', () => {
    const header = fromHex(V.headers[0]!.encoded);
    const setTs = (bytes: Uint8Array, ts: bigint) => {
      const out = bytes.slice();
      new DataView(out.buffer).setBigUint64(72, ts, true);
      return out;
    };
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    assert.equal(decodeHeader(setTs(header, max)).timestamp, Number.MAX_SAFE_INTEGER);
    for (const ts of [max + 1n, 1n << 63n, (1n << 64n) - 1n]) {
      assert.throws(() => decodeHeader(setTs(header, ts)), isDecodeError, `header ts ${ts}`);
      assert.throws(() => decodeBlock(setTs(block2, ts)), isDecodeError, `block ts ${ts}`);
    }
    assert.throws(() => encodeHeader({ ...decodeHeader(header), timestamp: Number.MAX_SAFE_INTEGER + 1 }));
    assert.throws(() => encodeHeader({ ...decodeHeader(header), timestamp: -1 }));
  });

  test('header: 91 and 93 bytes', () => {
    const header = fromHex(V.headers[0]!.encoded);
    assert.throws(() => decodeHeader(header.subarray(0, 91)), isDecodeError);
    assert.throws(() => decodeHeader(Uint8Array.from([...header, 0])), isDecodeError);
  });

  test('fromHex refuses odd length and non-hex characters', () => {
    assert.throws(() => fromHex('abc'), isDecodeError);
    assert.throws(() => fromHex('zz'), isDecodeError);
    assert.equal(toHex(fromHex('0x00ff')), '00ff');
  });

  test('a Writer with initial size 0 grows instead of looping', () => {
    assert.equal(toHex(new Writer(0).u8(1).u32(2).finish()), '0102000000');
  });
});

describe('round trips of built objects', () => {
  test('tx with extreme field values', () => {
    const tx: Tx = {
      chainId: 0xffffffff,
      from: fromHex(V.txs[0]!.from),
      to: new Uint8Array(20).fill(0xab),
      amount: (1n << 64n) - 1n,
      fee: 0n,
      nonce: (1n << 64n) - 1n,
      sig: new Uint8Array(64).fill(0xcd),
    };
    assert.deepEqual(decodeTx(encodeTx(tx)), tx);
  });

  test('block with 300 txs uses a 3-byte count and round trips', () => {
    const b = blockFrom(V.blocks[1]!);
    const many: Block = { ...b, txs: Array.from({ length: 300 }, () => b.txs[0]!) };
    const enc = encodeBlock(many);
    assert.equal(enc.length, blockSize(many));
    assert.equal(toHex(enc.subarray(prefixLenOf(), prefixLenOf() + 3)), 'fd2c01');
    assert.deepEqual(decodeBlock(enc), many);
  });
});

function prefixLenOf(): number {
  return HEADER_SIZE + 20 + 8;
}
