/**
 * A real HTTP(S) server for tests: fastify on 127.0.0.1, port 0, with the routes a test adds.
 */
import Fastify, { type FastifyInstance } from "fastify";

/** A running fastify instance and its base URL. */
export interface TestHttpServer {
  readonly app: FastifyInstance;
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** HTTPS settings for {@link startHttpServer}. */
export interface TestHttpsOptions {
  readonly cert: string;
  readonly key: string;
  /** Require client certificates signed by this CA (mutual TLS). */
  readonly clientCa?: string;
}

/** Starts fastify with `setup` adding routes; `https` for TLS. */
export async function startHttpServer(
  setup: (app: FastifyInstance) => void,
  https?: TestHttpsOptions,
): Promise<TestHttpServer> {
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    ...(https !== undefined && {
      https: {
        cert: https.cert,
        key: https.key,
        ...(https.clientCa !== undefined && {
          ca: https.clientCa,
          requestCert: true,
          rejectUnauthorized: true,
        }),
      },
    }),
  }) as unknown as FastifyInstance;
  setup(app);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") {
    throw new Error("no port");
  }
  const scheme = https === undefined ? "http" : "https";
  return {
    app,
    baseUrl: `${scheme}://127.0.0.1:${address.port}`,
    close: () => app.close(),
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const app = Fastify({ logger: false });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  await app.close();
  if (address === null || typeof address === "string") {
    throw new Error("no port");
  }
  return address.port;
}

/** A recording `Sleep`: resolves at once and remembers each requested delay. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}
