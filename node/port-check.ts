/**
 * Is a TCP port free to listen on right now? Used before anything is created on disk, so that a port
 * held by another process costs the user one line and leaves no half-made datadir behind.
 */
import { createServer } from 'node:net';

/** Can we listen on host:port right now? (Port 0 is always free.) */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
