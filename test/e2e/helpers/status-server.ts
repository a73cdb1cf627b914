// A tiny HTTP server on loopback whose answer status the scenario sets: the target of a download probe.
import { createServer } from 'node:http';

export interface StatusServer {
  port: number;
  /** The status every later request is answered with (200 → "ok", anything else → "broken"). */
  status: number;
  close(): Promise<void>;
}

export async function startStatusServer(status = 200): Promise<StatusServer> {
  const server = createServer((_request, response) => response.writeHead(handle.status).end(handle.status === 200 ? 'ok' : 'broken'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const handle: StatusServer = {
    port: typeof address === 'object' && address ? address.port : 0,
    status,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return handle;
}
