/**
 * Where the wallet gets passwords: MINICHAIN_PASSWORD from the environment (scripts, tests), else a
 * prompt on the terminal with echo off. With neither, it fails clearly instead of hanging on a pipe.
 * The prompt goes to stderr so stdout stays clean for --json. Imports wallet/ only.
 */
import { WalletError } from './errors.js';

export const PASSWORD_ENV = 'MINICHAIN_PASSWORD';

export interface PasswordRequest {
  /** e.g. `password for "alice": ` */
  prompt: string;
  /** Ask twice and compare (when choosing a new password on a terminal). */
  confirm?: boolean;
}

export type PasswordSource = (req: PasswordRequest) => Promise<string>;

/** The terminal side: only what the prompt needs from process.stdin / process.stderr. */
export interface PromptIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stderr: NodeJS.WritableStream;
}

/**
 * MINICHAIN_PASSWORD if set (even to ""), else a hidden prompt when stdin is a terminal.
 * @throws WalletError USAGE when neither is available, or when the prompt is aborted
 * @throws WalletError INVALID_INPUT when the two entries of a confirmed password differ
 */
export function passwordSource(env: Record<string, string | undefined>, io: PromptIO): PasswordSource {
  return async (req) => {
    const fromEnv = env[PASSWORD_ENV];
    if (fromEnv !== undefined) return fromEnv;
    if (!io.stdin.isTTY || typeof io.stdin.setRawMode !== 'function')
      throw new WalletError('USAGE', `a password is needed: set ${PASSWORD_ENV} or run in a terminal`);
    const first = await promptHidden(req.prompt, io);
    if (req.confirm) {
      const again = await promptHidden('repeat password: ', io);
      if (again !== first) throw new WalletError('INVALID_INPUT', 'passwords do not match');
    }
    return first;
  };
}

/** Reads one line from a TTY in raw mode, echoing nothing. Handles backspace, Ctrl-C and Ctrl-D. */
export function promptHidden(prompt: string, io: PromptIO): Promise<string> {
  const { stdin, stderr } = io;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) return finish(new WalletError('USAGE', 'aborted'));
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stderr.write(prompt);
    stdin.setRawMode!(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}
