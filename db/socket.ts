import net from "node:net";

// postgres.js has a connect timeout but no query timeout: a connection whose packets vanish (a
// partition, a black-holed route, a frozen server) leaves its queries waiting for TCP keepalive,
// minutes later. So the sockets postgres.js gets come from here, and each one is watched: when
// the database owes an answer (a query, a transaction's next statement or COMMIT) and sends no
// byte for the query timeout, the connection counts as lost and is destroyed. postgres.js then
// fails its queries with a connection error, which the request turns into an honest 503 (or
// outcome_unknown when it was a COMMIT that went unanswered).
//
// "Owes an answer" is read off the wire protocol: every simple query ('Q') and every Sync ('S')
// the client sends is answered by exactly one ReadyForQuery ('Z'), and so is the startup message.
// A listening connection owes nothing between notifications, and a long result that keeps
// arriving is progress, not silence. Under TLS the bytes cannot be read, and the socket is not
// watched (TCP keepalive is then the only bound).

const QUERY = 0x51; // 'Q'
const SYNC = 0x53; // 'S'
const READY_FOR_QUERY = 0x5a; // 'Z'
const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;

/** Splits a protocol stream into messages ([type][int32 length][body]; the first may have no type). */
class MessageFramer {
  private header = Buffer.alloc(0);
  private skip = 0;
  constructor(
    private untypedFirst: boolean,
    private readonly onMessage: (type: number, header: Buffer) => void,
  ) {}

  feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - pos);
        this.skip -= take;
        pos += take;
        continue;
      }
      // An untyped message's header is its length (4 bytes) and, for the first, the code (4 more).
      const size = this.untypedFirst ? 8 : 5;
      const take = Math.min(size - this.header.length, chunk.length - pos);
      this.header = Buffer.concat([this.header, chunk.subarray(pos, pos + take)]);
      pos += take;
      if (this.header.length < size) return;
      const header = this.header;
      this.header = Buffer.alloc(0);
      if (this.untypedFirst) {
        this.untypedFirst = false;
        this.skip = header.readInt32BE(0) - 8;
        this.onMessage(-1, header);
      } else {
        this.skip = header.readInt32BE(1) - 4;
        this.onMessage(header[0], header);
      }
    }
  }
}

interface Watched {
  socket: net.Socket;
  timeoutMs: number;
  owed: number;
  /** Since when the database has sent nothing while owing an answer (ms). */
  silentSince: number;
}

const g = globalThis as unknown as { __latchkeyDbSockets?: { watched: Set<Watched>; timer?: NodeJS.Timeout; armed: boolean } };
const sockets = (g.__latchkeyDbSockets ??= { watched: new Set(), armed: false });

/**
 * Turns the watch on or off for every connection. Off while migrations run: a second instance
 * waits on the migration lock for as long as the first one migrates, which is not silence.
 */
export function armQueryTimeout(armed: boolean): void {
  sockets.armed = armed;
}

function check(): void {
  if (!sockets.armed) return;
  const now = performance.now();
  for (const w of sockets.watched) {
    if (w.owed > 0 && now - w.silentSince > w.timeoutMs) {
      sockets.watched.delete(w);
      const seconds = w.timeoutMs / 1000;
      w.socket.destroy(Object.assign(new Error(`the database sent nothing for ${seconds} s while an answer was due`), { code: "ETIMEDOUT" }));
    }
  }
}

function watch(socket: net.Socket, timeoutMs: number): void {
  const w: Watched = { socket, timeoutMs, owed: 0, silentSince: 0 };
  sockets.watched.add(w);
  // One timer for every connection: a pass over a pool's few sockets costs next to nothing.
  sockets.timer ??= setInterval(check, 100);
  sockets.timer.unref?.();
  const stop = () => sockets.watched.delete(w);
  const owe = () => {
    if (w.owed++ === 0) w.silentSince = performance.now();
  };
  const sent = new MessageFramer(true, (type, header) => {
    if (type === -1) {
      const code = header.readInt32BE(4);
      if (code === SSL_REQUEST) stop();
      else if (code !== CANCEL_REQUEST) owe(); // the startup message ends with a ReadyForQuery
    } else if (type === QUERY || type === SYNC) owe();
  });
  const received = new MessageFramer(false, (type) => {
    if (type === READY_FOR_QUERY && w.owed > 0) w.owed--;
  });
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (sockets.watched.has(w) && Buffer.isBuffer(chunk)) sent.feed(chunk);
    return write(chunk, ...rest);
  }) as net.Socket["write"];
  socket.on("data", (chunk: Buffer) => {
    if (!sockets.watched.has(w)) return;
    w.silentSince = performance.now();
    received.feed(chunk);
  });
  socket.once("close", stop);
}

interface SocketOptions {
  host: string[];
  port: number[];
  path?: string;
}

/**
 * postgres.js's `socket` option: a TCP (or Unix) socket to the database, connecting, and watched
 * for silence. postgres.js writes its startup message at once; the socket holds it until connected,
 * and reports a failure to connect as an error, which postgres.js handles as its own.
 */
export function watchedSocket(queryTimeoutSeconds: number, hooks: { onClose?: () => void } = {}): (options: SocketOptions) => net.Socket {
  let next = 0;
  return (options) => {
    const i = next++ % options.host.length;
    const socket = options.path ? net.connect(options.path) : net.connect(options.port[i] ?? options.port[0], options.host[i]);
    // postgres.js names the server from these when it upgrades to TLS.
    Object.assign(socket, { host: options.host[i], port: options.port[i] ?? options.port[0] });
    watch(socket, queryTimeoutSeconds * 1000);
    if (hooks.onClose) socket.once("close", hooks.onClose);
    return socket;
  };
}
