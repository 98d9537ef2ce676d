import net from "node:net";

/**
 * A TCP proxy to stand between Latchkey and PostgreSQL in fault tests. `cut()` drops every
 * connection and refuses new ones (an outage: the server is gone) until `restore()`. `stall()`
 * keeps every connection open but forwards nothing, and holds new ones the same way (a partition
 * or a black hole: packets vanish, nobody says so) until `restore()`, which lets the held bytes
 * through.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const open = new Set<net.Socket>();
  let mode: "up" | "cut" | "stalled" = "up";
  // While stalled, what each socket would have written, in order.
  const held = new Map<net.Socket, Buffer[]>();
  const forward = (from: net.Socket, to: net.Socket) =>
    from.on("data", (chunk: Buffer) => {
      if (mode === "stalled") held.set(to, [...(held.get(to) ?? []), chunk]);
      else to.write(chunk);
    });
  const server = net.createServer((client) => {
    if (mode === "cut") return void client.destroy();
    const upstream = net.connect(target.port, target.host);
    const kill = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    open.add(client).add(upstream);
    forward(client, upstream);
    forward(upstream, client);
    for (const s of [client, upstream]) s.on("error", kill).on("close", kill);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      mode = "cut";
      for (const s of open) s.destroy();
      open.clear();
    },
    stall() {
      mode = "stalled";
    },
    restore() {
      mode = "up";
      for (const [to, chunks] of held) if (!to.destroyed) for (const chunk of chunks) to.write(chunk);
      held.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        open.clear();
        held.clear();
        server.close(() => resolve());
      }),
  };
}

export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;
