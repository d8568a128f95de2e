/**
 * Generator for test/vectors/p2p-messages.json: the `valid` list is every sample of
 * test/helpers/p2p-fixtures.ts (sampleMessages) with its encoding; the `invalid` list keeps the
 * hand-made frames already in the file and adds the headers-first ones (issue #7), each with the exact
 * decoder error. Regenerate only for a deliberate wire change:
 *   npx tsc -p . && node dist/test/vectors/generate-p2p.js > test/vectors/p2p-messages.tmp && mv test/vectors/p2p-messages.tmp test/vectors/p2p-messages.json
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../node/core/bytes.js';
import { decodeMessage, encodeMessage } from '../../node/p2p/protocol/messages.js';
import { sampleMessages, toJson } from '../helpers/p2p-fixtures.js';
import { repoRoot } from '../helpers/chain-fixtures.js';

const file = join(repoRoot(import.meta.url), 'test/vectors/p2p-messages.json');
const old = JSON.parse(readFileSync(file, 'utf8')) as { description: string; invalid: { name: string; hex: string; error: string }[]; handshake: unknown };

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
].map((v) => ({ ...v, error: errorOf(v.hex) }));

const invalid = [...old.invalid.filter((v) => !extra.some((x) => x.name === v.name)), ...extra];
const valid = sampleMessages().map(([name, m]) => ({ name, type: m.type, message: toJson(m), hex: toHex(encodeMessage(m)) }));
process.stdout.write(JSON.stringify({ description: old.description, valid, invalid, handshake: old.handshake }, null, 2) + '\n');
