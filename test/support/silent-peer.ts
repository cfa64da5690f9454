// A peer that accepts a connection, reads the request, and then never answers
// and never closes: a frozen server, a paused container, a black-holed load
// balancer. Not a slow server: it ignores the client's FIN (allowHalfOpen), so
// only a client that destroys its socket gets away. In front of an upstream it
// passes traffic through until frozen, as `docker pause` freezes a running server.
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface SilentPeer {
  url: string;
  /** Connections it has accepted, frozen or not. */
  connections: number;
  /** Connections the client has closed or destroyed (the peer never closes one). */
  closedByClient: number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

/** `silentOn` picks requests (by their first line, e.g. `GET /realms/x/certs HTTP/1.1`) that get no answer even while not frozen. */
export async function startSilentPeer(upstream?: string, silentOn: (requestLine: string) => boolean = () => false): Promise<SilentPeer> {
  let frozen = upstream === undefined;
  const sockets = new Set<Socket>();
  const peer = { url: '', connections: 0, closedByClient: 0 };
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    peer.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      peer.closedByClient++;
    });
    socket.once('data', (first: Buffer) => {
      if (frozen || upstream === undefined || silentOn(first.toString('latin1').split('\r\n')[0] ?? '')) {
        socket.resume();
        return;
      }
      const target = new URL(upstream);
      const forward = connect(Number(target.port), target.hostname);
      forward.on('error', () => socket.destroy());
      sockets.add(forward);
      forward.on('close', () => sockets.delete(forward));
      forward.write(first);
      socket.pipe(forward).pipe(socket);
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(peer, {
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  });
}
