/**
 * Where `import` reads a private key from: stdin (`--stdin`), a file (`--file`), or a hidden prompt on
 * the terminal. Never the command line: arguments are readable by every user in /proc/<pid>/cmdline
 * and stay in shell history. Imports wallet/ only.
 */
import { readFile } from 'node:fs/promises';
import { WalletError } from './errors.js';
import { PromptIO, promptHidden } from './password.js';

const MAX_KEY_INPUT = 4096;

export interface KeySource {
  stdin?: boolean;
  file?: string;
}

/** The refusal for a key passed as an argument: one line with the three ways that work. */
export function keyInArgumentsError(): WalletError {
  return new WalletError(
    'USAGE',
    'refusing a private key on the command line (other users can read it in /proc, and it stays in shell history): ' +
      'pipe it with "import --stdin", read it with "import --file <path>", or run "import" in a terminal to be prompted',
  );
}

/**
 * The key text from the chosen source, trimmed.
 * @throws WalletError USAGE when no source is available or two are given
 */
export async function readKeyText(src: KeySource, io: PromptIO): Promise<string> {
  if (src.stdin && src.file !== undefined) throw new WalletError('USAGE', 'give either --stdin or --file, not both');
  if (src.file !== undefined) return (await readFile(src.file, 'utf8')).slice(0, MAX_KEY_INPUT).trim();
  if (src.stdin) return (await readAll(io.stdin)).trim();
  if (!io.stdin.isTTY || typeof io.stdin.setRawMode !== 'function')
    throw new WalletError('USAGE', 'no private key given: pipe it with "import --stdin", use "import --file <path>", or run in a terminal to be prompted');
  return (await promptHidden('private key (64 hex characters, not echoed): ', io)).trim();
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      text += d;
      if (text.length > MAX_KEY_INPUT) {
        stream.pause();
        reject(new WalletError('INVALID_INPUT', `invalid private key: more than ${MAX_KEY_INPUT} characters on stdin`));
      }
    });
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}
