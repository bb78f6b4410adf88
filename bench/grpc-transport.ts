// The transport's own cost per byte (JSON lines): a grpc-js server with mutual TLS, as the coordinator
// runs it, receiving and then sending large byte payloads from a client in another process, with
// nothing done to the bytes. Its CPU per byte is the floor under any coordinator that moves those bytes:
// multiplied by a mode's bytes per round (bench/federation-round.ts), it bounds that mode's coordinator
// CPU from below whatever the aggregation code does.
// Payloads default to MAX_CHUNK_BYTES, the size of the chunks uploads and downloads stream in.
// Usage: node bin/run-ts.mjs bench/grpc-transport.ts [--mib 2] [--calls 48]
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { createCa, issueCertificate } from "../coordinator/pki/index.ts";
import { MAX_CHUNK_BYTES } from "../proto/limits.ts";

const { values, positionals } = parseArgs({
  options: {
    mib: { type: "string", default: String(MAX_CHUNK_BYTES / 2 ** 20) },
    calls: { type: "string", default: "48" },
  },
  allowPositionals: true,
});
const payloadBytes = Number(values.mib) * 2 ** 20;
const calls = Number(values.calls);

const passThrough = (bytes: Buffer): Buffer => bytes;
const METHOD = {
  path: "/bench.Transport/Move",
  requestStream: false,
  responseStream: false,
  requestSerialize: passThrough,
  requestDeserialize: passThrough,
  responseSerialize: passThrough,
  responseDeserialize: passThrough,
} as const;
const LIMITS = { "grpc.max_send_message_length": -1, "grpc.max_receive_message_length": -1 };

/** The client process: `calls` requests that upload the payload ("upload") or fetch it ("download"). */
async function runClient(address: string, direction: string, tls: Record<string, string>): Promise<void> {
  const credentials = grpc.credentials.createSsl(
    Buffer.from(tls["caPem"]!),
    Buffer.from(tls["keyPem"]!),
    Buffer.from(tls["certPem"]!),
  );
  const client = new grpc.Client(address, credentials, {
    ...LIMITS,
    "grpc.ssl_target_name_override": "localhost",
  });
  const request = direction === "upload" ? Buffer.alloc(payloadBytes, 7) : Buffer.alloc(1);
  for (let i = 0; i < calls; i++) {
    await new Promise<void>((resolve, reject) => {
      client.makeUnaryRequest(METHOD.path, passThrough, passThrough, request, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }
  client.close();
}

if (positionals[0] === "client") {
  const [, address = "", direction = ""] = positionals;
  process.once("message", (tls) => {
    void runClient(address, direction, tls as Record<string, string>).then(() => process.exit(0));
  });
} else {
  const ca = await createCa({ commonName: "bench" });
  const server = await issueCertificate(ca, { role: "coordinator", name: "localhost" });
  const client = await issueCertificate(ca, { role: "site", name: "site-a" });
  const reply = Buffer.alloc(payloadBytes, 9);
  for (const direction of ["upload", "download"]) {
    const grpcServer = new grpc.Server(LIMITS);
    let checksum = 0;
    grpcServer.addService(
      { Move: METHOD },
      {
        Move: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
          checksum += call.request[0] ?? 0;
          done(null, direction === "download" ? reply : Buffer.alloc(1));
        },
      },
    );
    const credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(ca.certPem),
      [{ private_key: Buffer.from(server.keyPem), cert_chain: Buffer.from(server.certPem) }],
      true,
    );
    const port = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync("127.0.0.1:0", credentials, (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const child = fork(
      fileURLToPath(new URL("../bin/run-ts.mjs", import.meta.url)),
      [fileURLToPath(import.meta.url), "client", `127.0.0.1:${port}`, direction, ...process.argv.slice(2)],
      { stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    // The server idles while the client process starts, so its CPU from here on is the exchange's (the
    // one TLS handshake included); wallMs includes the client's start-up.
    const cpuAtStart = process.cpuUsage();
    const started = performance.now();
    child.send({ caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem });
    await new Promise((resolve) => child.once("exit", resolve));
    const cpu = process.cpuUsage(cpuAtStart);
    const bytes = calls * payloadBytes;
    process.stdout.write(
      JSON.stringify({
        bench: "grpc-transport",
        direction,
        payloadMiB: Number(values.mib),
        calls,
        serverCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        serverSystemCpuMs: Math.round(cpu.system / 1000),
        serverCpuNsPerByte: Number((((cpu.user + cpu.system) * 1000) / bytes).toFixed(2)),
        wallMs: Math.round(performance.now() - started),
        checksum,
      }) + "\n",
    );
    grpcServer.forceShutdown();
  }
}
