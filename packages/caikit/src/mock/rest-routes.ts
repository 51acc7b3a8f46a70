/**
 * The fastify adapter of caikit's REST handlers (`rest-handlers.ts`): each route registered on
 * the runtime's fastify context, canned replies sent as they are, streams sent as SSE with the
 * host's `cut-after` fault applied and the client's disconnect aborting the generation.
 */
import { Readable } from "node:stream";
import { cutStream, type PluginContext, sendCanned } from "@servingkit/mock-core";
import type { FastifyInstance } from "fastify";
import { type CaikitRestOptions, caikitRestRoutes } from "./rest-handlers.js";

/** Registers the caikit routes on the runtime's fastify context. */
export function registerCaikitRest(
  app: FastifyInstance,
  ctx: PluginContext,
  options: Omit<CaikitRestOptions, "clock">,
): void {
  for (const route of caikitRestRoutes({ ...options, clock: ctx.clock })) {
    app.route({
      method: route.method,
      url: route.path,
      async handler(request, reply) {
        const abort = new AbortController();
        // The response's close before its end is the client leaving (the request's close fires
        // as soon as its body is read).
        reply.raw.on("close", () => {
          if (!reply.raw.writableFinished) abort.abort();
        });
        const answer = await route.handle({
          contentType: request.headers["content-type"],
          body: request.body,
          query: (request.query ?? {}) as Record<string, string | string[] | undefined>,
          signal: abort.signal,
        });
        if (answer.kind === "reply") return sendCanned(reply, answer.reply);
        reply.code(200).headers(answer.headers);
        return reply.send(Readable.from(cutStream(ctx.restFault(request), answer.frames)));
      },
    });
  }
}
