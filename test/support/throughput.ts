/**
 * Bytes over time through a link, with node itself (the toolchain's, so no netcat or iperf):
 * a TCP sink in one namespace counts what arrives from its first byte to the sender's close,
 * a source in another sends a fixed number of bytes as fast as TCP lets it. Run as a script
 * (`node throughput.js sink PORT` / `source ADDRESS PORT BYTES`) inside the namespaces; the
 * sink prints `{"bytes":N,"seconds":S}`.
 */
import { spawn } from "node:child_process";
import { createConnection, createServer } from "node:net";

export interface Measured {
  bytes: number;
  seconds: number;
  /** Payload bits per second. */
  bitsPerSecond: number;
}

/**
 * Sends `bytes` from `from` to `address` (in `to`) and measures them arriving. `wrap` turns an
 * argv into the command that runs it in a namespace (locally `ip netns exec NS …`).
 */
export async function measure(wrap: (netns: string, argv: string[]) => string[], from: string, to: string, address: string, bytes: number, port = 5201): Promise<Measured> {
  const script = __filename;
  const [sinkCmd, ...sinkArgs] = wrap(to, [process.execPath, script, "sink", String(port)]);
  const sink = spawn(sinkCmd, sinkArgs, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  sink.stdout.on("data", (d: Buffer) => (out += d.toString()));
  sink.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((r) => sink.once("exit", (code) => r(code)));
  try {
    // The sink says "listening" before the source connects.
    for (let i = 0; i < 100 && !out.includes("listening"); i++) await new Promise((r) => setTimeout(r, 50));
    if (!out.includes("listening")) throw new Error(`the sink did not start: ${err}`);
    const [srcCmd, ...srcArgs] = wrap(from, [process.execPath, script, "source", address, String(port), String(bytes)]);
    const source = spawn(srcCmd, srcArgs, { stdio: ["ignore", "ignore", "pipe"] });
    let srcErr = "";
    source.stderr.on("data", (d: Buffer) => (srcErr += d.toString()));
    const code = await new Promise<number | null>((r) => source.once("exit", r));
    if (code !== 0) throw new Error(`the source failed (${code}): ${srcErr}`);
    if ((await done) !== 0) throw new Error(`the sink failed: ${err}`);
  } finally {
    if (sink.exitCode === null && sink.pid) sink.kill("SIGTERM");
  }
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`the sink printed no result: ${out} ${err}`);
  const r = JSON.parse(line) as { bytes: number; seconds: number };
  return { ...r, bitsPerSecond: (r.bytes * 8) / r.seconds };
}

/** As a script: the two ends. Both give up after 60 s. */
function main(argv: string[]): void {
  setTimeout(() => {
    process.stderr.write("timed out after 60 s\n");
    process.exit(3);
  }, 60_000).unref();
  if (argv[0] === "sink") {
    const server = createServer((socket) => {
      let bytes = 0;
      let first = 0n;
      socket.on("data", (d: Buffer) => {
        if (!first) first = process.hrtime.bigint();
        bytes += d.length;
      });
      socket.on("end", () => {
        const seconds = Number(process.hrtime.bigint() - first) / 1e9;
        process.stdout.write(`${JSON.stringify({ bytes, seconds })}\n`);
        server.close();
        process.exit(0);
      });
    });
    server.listen(Number(argv[1]), () => process.stdout.write("listening\n"));
  } else if (argv[0] === "source") {
    const [address, port, total] = [argv[1], Number(argv[2]), Number(argv[3])];
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const socket = createConnection({ host: address, port }, () => {
      let left = total;
      const pump = () => {
        while (left > 0) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= piece.length;
          if (!socket.write(piece)) return void socket.once("drain", pump);
        }
        socket.end();
      };
      pump();
    });
    socket.on("close", () => process.exit(0));
    socket.on("error", (e) => {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    });
  } else {
    process.stderr.write("usage: throughput.js sink PORT | source ADDRESS PORT BYTES\n");
    process.exit(2);
  }
}

if (require.main === module) main(process.argv.slice(2));
