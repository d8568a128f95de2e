/**
 * The logging interface the node's modules accept. pino's Logger satisfies it; tests pass `silentLog`.
 * Kept structural so no module but main.ts depends on pino.
 */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
}

const noop = (): void => {};

export const silentLog: Log = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLog,
};
