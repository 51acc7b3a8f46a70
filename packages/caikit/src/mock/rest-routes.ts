/**
 * Caikit's REST handlers (`rest-handlers.ts`) as a host-neutral route table (mock-core's
 * `RestRouteTable`), and its fastify registration: canned replies sent as they are, streams sent
 * as SSE with the host's `cut-after` fault applied and the client's disconnect aborting the
 * generation. The msw handlers (`@servingkit/msw`) serve the same table.
 */
import {
  type PluginContext,
  type RestRouteTable,
  registerRestRouteTable,
} from "@servingkit/mock-core/host";
import type { FastifyInstance } from "fastify";
import { type CaikitRestOptions, caikitRestRoutes } from "./rest-handlers.js";

/** The caikit routes as a route table (JSON bodies parsed by the host). */
export function caikitRestTable(options: CaikitRestOptions): RestRouteTable {
  return {
    routes: caikitRestRoutes(options).map((route) => ({
      method: route.method,
      path: route.path,
      async handle(request) {
        const answer = await route.handle({
          contentType: request.headers["content-type"],
          body: request.body,
          query: request.query,
          signal: request.signal,
        });
        if (answer.kind === "reply") return answer.reply;
        return { status: 200, headers: answer.headers, body: answer.frames };
      },
    })),
  };
}

/** Registers the caikit routes on the runtime's fastify context. */
export function registerCaikitRest(
  app: FastifyInstance,
  ctx: PluginContext,
  options: Omit<CaikitRestOptions, "clock">,
): void {
  registerRestRouteTable(app, ctx, caikitRestTable({ ...options, clock: ctx.clock }));
}
