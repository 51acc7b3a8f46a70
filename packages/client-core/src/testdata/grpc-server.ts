/**
 * A real gRPC server for tests: connect-node's `connectNodeAdapter` on `node:http2` (h2c, or TLS
 * with `http2.createSecureServer`), serving the grpc.health.v1 `Health` service from
 * `@servingkit/proto/health` with handlers the test supplies. Listens on 127.0.0.1, port 0.
 */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "@servingkit/proto/health";

/** A running test server. */
export interface TestGrpcServer {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops it, destroying open sessions so that no client keeps it alive. */
  close(): Promise<void>;
}

/** TLS settings for {@link startGrpcServer}. */
export interface TestGrpcTls {
  readonly cert: string;
  readonly key: string;
  /** Require client certificates signed by this CA. */
  readonly clientCa?: string;
}

/** Starts a Health server with the given handlers. */
export async function startGrpcServer(
  impl: Partial<ServiceImpl<typeof Health>>,
  tls?: TestGrpcTls,
): Promise<TestGrpcServer> {
  const handler = connectNodeAdapter({
    grpc: true,
    connect: false,
    grpcWeb: false,
    routes: (router) => router.service(Health, impl),
  });
  const server =
    tls === undefined
      ? http2.createServer(handler)
      : http2.createSecureServer(
          {
            cert: tls.cert,
            key: tls.key,
            ...(tls.clientCa !== undefined && {
              ca: tls.clientCa,
              requestCert: true,
              rejectUnauthorized: true,
            }),
          },
          handler,
        );
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) {
          session.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
