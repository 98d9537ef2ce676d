// node bench/bare-server.mjs --body-bytes N [--headers JSON] [--port 0]
// The ceiling bench/api.ts measures Latchkey against, in the same run: a bare node:http server in
// its own process answering every request with one constant JSON envelope, as long as
// Latchkey's own answer (--body-bytes) and with the same response headers (--headers, a JSON
// object), so the two differ only in the work done per request. Prints "bare: listening on
// http://127.0.0.1:<port>" once it listens; stops on SIGTERM or SIGINT.
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    "body-bytes": { type: "string", default: "0" },
    headers: { type: "string", default: "{}" },
    port: { type: "string", default: "0" },
  },
});

const head = '{"success":true,"hasError":false,"statusCode":"OK","data":{"pad":"';
const tail = '"}}';
const wanted = Number(values["body-bytes"]);
const body = Buffer.from(head + "x".repeat(Math.max(0, wanted - head.length - tail.length)) + tail);
const headers = { "content-type": "application/json; charset=utf-8", ...JSON.parse(values.headers), "content-length": String(body.length) };

const server = createServer((req, res) => {
  // Drain any request body, as a real handler reads it, then answer.
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(Number(values.port), "127.0.0.1", () => console.log(`bare: listening on http://127.0.0.1:${server.address().port}`));
for (const signal of ["SIGTERM", "SIGINT"])
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
