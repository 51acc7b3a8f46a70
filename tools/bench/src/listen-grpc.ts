import * as grpc from "@grpc/grpc-js";
import type { RunningServer } from "./servers.js";

/** Binds a grpc-js server to an ephemeral port on 127.0.0.1, as every grpc-js baseline runs. */
export async function listenGrpcServer(server: grpc.Server): Promise<RunningServer> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    headers: {},
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
