// The demo's loopback peers, probed by vigil's real probes: a web server whose answers the story makes slow or
// failing, and TCP listeners (a switch's management port, three hosts' ssh ports) that the story closes and reopens.
// A closed port is refused, which the hostport probe reports as a reached failure (crit), as for a real service.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import type { WebMode } from './story.js';

const HOST = '127.0.0.1';

function listen(server: HttpServer | TcpServer, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: HttpServer | TcpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The demo web site: `ok` answers at once, `slow` after `slowMs`, `failing` with 503. */
export class DemoWebServer {
  mode: WebMode = 'ok';
  port = 0;
  private readonly server: HttpServer;

  constructor(private readonly slowMs: number) {
    this.server = createHttpServer((request, response) => {
      const answer = () => {
        if (this.mode === 'failing') response.writeHead(503, { 'content-type': 'text/plain' }).end('demo web: simulated outage\n');
        else response.writeHead(200, { 'content-type': 'text/plain' }).end('demo web: simulated, all well\n');
      };
      request.resume();
      if (this.mode === 'slow') setTimeout(answer, this.slowMs).unref();
      else answer();
    });
  }

  async start(): Promise<void> {
    this.port = await listen(this.server);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await close(this.server);
  }
}

/** A TCP port that accepts (and at once closes) connections while open, and refuses them while closed. */
export class DemoPort {
  port = 0;
  private server: TcpServer | undefined;
  private readonly sockets = new Set<Socket>();
  private changing: Promise<void> = Promise.resolve();

  get isOpen(): boolean {
    return this.server !== undefined;
  }

  /** Runs open/close steps one at a time; a failed step does not block the next. */
  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.changing.then(step);
    this.changing = next.catch(() => undefined);
    return next;
  }

  /** Opens on a free port the first time, on the same port afterwards. */
  open(): Promise<void> {
    return this.serially(async () => {
      if (this.server) return;
      const server = createTcpServer((socket) => {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
        socket.end();
      });
      this.port = await listen(server, this.port);
      this.server = server;
    });
  }

  close(): Promise<void> {
    return this.serially(async () => {
      const server = this.server;
      if (!server) return;
      this.server = undefined;
      for (const socket of this.sockets) socket.destroy();
      await close(server);
    });
  }

  /** Opens or closes; a failure to reopen (the port was taken meanwhile) is retried on the next call. */
  async set(open: boolean): Promise<void> {
    await (open ? this.open() : this.close()).catch(() => undefined);
  }
}
