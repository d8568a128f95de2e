/**
 * Regenerates the valid messages and the handshake section of test/vectors/p2p-messages.json from
 * test/helpers/p2p-fixtures.ts. The invalid cases are kept as they are (hand-picked inputs), plus the
 * headers-first ones (issue #7), each with the decoder's exact error.
 *   npx tsc -p . && node dist/test/vectors/generate-p2p.js
 * Only for a deliberate wire change; test/unit/p2p-messages.test.ts and handshake.test.ts check the file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../node/core/bytes.js';
import { HANDSHAKE_DOMAIN, handshakeDigest, transcriptOf } from '../../node/p2p/protocol/handshake.js';
import { decodeMessage, encodeMessage } from '../../node/p2p/protocol/messages.js';
import { repoRoot } from '../helpers/chain-fixtures.js';
import { B, GENESIS, helloA, helloB, sampleMessages, toJson } from '../helpers/p2p-fixtures.js';

const file = join(repoRoot(import.meta.url), 'test/vectors/p2p-messages.json');
const old = JSON.parse(readFileSync(file, 'utf8')) as { description: string; invalid: { name: string; hex: string; error: string }[] };

function errorOf(hex: string): string {
  try {
    decodeMessage(fromHex(hex));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`frame ${hex} decodes`);
}

const header92 = toHex(encodeMessage(sampleMessages().find(([n]) => n === 'headers')![1])).slice(4);
const extra = [
  { name: 'getheaders locator count 65', hex: '0f41' },
  { name: 'getheaders missing stop hash', hex: '0f01' + '11'.repeat(32) },
  { name: 'headers count 2001', hex: '10fdd107' },
  { name: 'headers one byte short', hex: '1001' + header92.slice(0, -2) },
  { name: 'headers with a trailing byte', hex: '1001' + header92 + '00' },
  // compact block relay (issue #9)
  { name: 'sendcmpct flag 2', hex: '1102' },
  { name: 'sendcmpct with a trailing byte', hex: '110100' },
  { name: 'cmpctblock count 20001', hex: '12' + header92 + '00'.repeat(20 + 8 + 8) + 'fd214e' },
  { name: 'cmpctblock short id one byte short', hex: '12' + header92 + '00'.repeat(20 + 8 + 8) + '01' + 'aa'.repeat(5) },
  { name: 'getblocktxn count 10001', hex: '13' + '55'.repeat(32) + 'fd1127' },
  { name: 'getblocktxn odd index bytes', hex: '13' + '55'.repeat(32) + '01' + '000000' },
  { name: 'blocktxn count 10001', hex: '14' + '55'.repeat(32) + 'fd1127' },
  { name: 'blocktxn one tx short', hex: '14' + '55'.repeat(32) + '01' + '00'.repeat(144) },
].map((v) => ({ ...v, error: errorOf(v.hex) }));
const t = transcriptOf(GENESIS, helloB(), helloA(), false);
const proof = sampleMessages().find(([n]) => n === 'helloProof')![1] as { signature: Uint8Array };
const out = {
  description: old.description,
  valid: sampleMessages().map(([name, m]) => ({ name, type: m.type, message: toJson(m), hex: toHex(encodeMessage(m)) })),
  invalid: [...old.invalid.filter((v) => !extra.some((x) => x.name === v.name)), ...extra],
  handshake: {
    description:
      'Protocol 2 transcript. A (dev account 0) dialled B (dev account 1): A sees B at 127.0.0.1:9002, B sees A at 127.0.0.1:40000. ' +
      'B proves its identity as the listener. Signer private key = sha256("minichain dev account 1").',
    genesisHash: toHex(GENESIS),
    dialerId: toHex(t.dialer.id),
    listenerId: toHex(t.listener.id),
    dialerChallenge: toHex(t.dialer.challenge),
    listenerChallenge: toHex(t.listener.challenge),
    dialerObserved: `${toHex(t.dialer.observedIp)}:${t.dialer.observedPort}`,
    listenerObserved: `${toHex(t.listener.observedIp)}:${t.listener.observedPort}`,
    signerRole: 'listener',
    signerPrivateKey: toHex(B.privateKey),
    preimage: [
      toHex(new TextEncoder().encode(HANDSHAKE_DOMAIN)),
      toHex(GENESIS),
      toHex(t.dialer.id),
      toHex(t.listener.id),
      toHex(t.dialer.challenge),
      toHex(t.listener.challenge),
      toHex(t.dialer.observedIp) + u16le(t.dialer.observedPort),
      toHex(t.listener.observedIp) + u16le(t.listener.observedPort),
      '02',
    ].join(''),
    digest: toHex(handshakeDigest(t, 'listener')),
    signature: toHex(proof.signature),
  },
};
function u16le(n: number): string {
  return toHex(new Uint8Array([n & 0xff, n >> 8]));
}

writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
process.stdout.write(`wrote ${file}\n`);
