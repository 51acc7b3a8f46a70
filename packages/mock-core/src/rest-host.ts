/**
 * The REST host: a fastify app with the platform's behaviours in front of every route (token
 * authorization, fault injection, request log) and the runtime's own answers for unknown routes,
 * wrong methods and unusable bodies. Routes come from plugins.
 */
import { STATUS_CODES } from "node:http";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import {
  chooseFault,
  type FaultConfig,
  type FaultSpec,
  FaultSyntaxError,
  faultHeader,
  faultMessage,
  restFailureStatus,
} from "./fault.js";
import { parseJsonBody } from "./json-body.js";
import { authorize, type PlatformAuth, restDenial } from "./platform-auth.js";
import type { BodyError, MockPlugin, PluginContext, ResolvedHooks } from "./plugin.js";
import { requestBodyParser } from "./request-body.js";
import { hasEmptyParam, type RestRequestHead } from "./rest-route-table.js";
import type { CannedReply } from "./runtime-catalog.js";

/** Everything the REST host needs; {@link buildMock} assembles it. */
export interface RestHostOptions {
  /** The plugins whose `rest` hooks register routes, in order. */
  readonly plugins: readonly MockPlugin[];
  /** The error hooks resolved over the plugins. */
  readonly hooks: ResolvedHooks;
  /** What every plugin gets. */
  readonly ctx: PluginContext;
  /** Where chosen faults are kept, keyed by the raw request; {@link PluginContext.restFault} reads it. */
  readonly faults: WeakMap<object, FaultSpec>;
  /** Rate-based faults; header faults need none. */
  readonly faultConfig: FaultConfig | undefined;
  /** Tokens and the proxy that checks them. */
  readonly auth: PlatformAuth;
  /** Certificate and key (PEM) for HTTPS; undefined = plain HTTP. */
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  /** Largest accepted request body in bytes. */
  readonly bodyLimit: number;
  /** Where the request log goes. */
  readonly logger: Logger;
  /** Time for delays and request durations. */
  readonly clock: Clock;
}

/** How often a shutting-down host closes the keep-alive connections that have gone idle, in ms. */
const idleCloseIntervalMs = 10;

/** Methods probed to tell a wrong method (405) from an unknown path (404). */
const probeMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

/** A JSON body that failed to parse; the error handler answers it through the plugin hook. */
class JsonBodyError extends Error {
  readonly body: Buffer;
  constructor(detail: string, body: Buffer) {
    super(detail);
    this.body = body;
  }
}

/** An `application/json` body as the host parses it: malformed JSON throws {@link JsonBodyError}. */
function parseJsonOrThrow(bytes: Buffer): unknown {
  const parsed = parseJsonBody(bytes);
  if ("error" in parsed) throw new JsonBodyError(parsed.error.detail, bytes);
  return parsed.body;
}

/**
 * The reply serializer of a text body: the text as it is. fastify appends `; charset=utf-8` to a
 * JSON content type when it sends a string itself, but never when a serializer has written the
 * string, so the body goes out as the string it is: Node writes headers and body as one string
 * (one `write`), where a Buffer costs a copy and a `writev` of two chunks.
 */
const asIs = (text: string): string => text;

/**
 * Writes a canned reply byte for byte: headers exactly as given (no charset appended: see
 * {@link asIs}), and an empty body without
 * a content type, as the runtimes send it. A body given no content type goes out without one too
 * (Starlette's `Response(content=...)` without a media type, e.g. vLLM's LoRA load answers): past
 * fastify, which would call it `application/octet-stream`, as the msw host already sends it.
 */
export function sendCanned(reply: FastifyReply, canned: CannedReply): FastifyReply {
  const { body, headers, status } = canned;
  if (body !== "" && headers?.["content-type"] === undefined) {
    const bytes = Buffer.from(body, "utf8");
    reply.hijack();
    reply.raw.writeHead(status, { ...headers, "content-length": bytes.length });
    reply.raw.end(bytes);
    return reply;
  }
  if (body !== "" && status >= 200 && status < 600 && status !== 204 && status !== 304) {
    const head = wireHeaders(headers, body);
    if (head !== undefined) {
      reply.hijack();
      reply.raw.writeHead(status, head);
      reply.raw.end(body);
      return reply;
    }
  }
  reply.code(status);
  if (headers) reply.headers(headers);
  return body === "" ? reply.send() : reply.serializer(asIs).send(body);
}

/**
 * The header object fastify would write for a text body with a content type (its `reply.headers`
 * then `send`): the names in lower case, in their order, then `content-length` (UTF-8 bytes) last;
 * undefined when fastify would do more than that (a `content-length` or `set-cookie` given), so
 * {@link sendCanned} leaves those to fastify. Written straight to the response, the reply skips
 * fastify's send path (content-type parse, hooks, per-header calls): same bytes, less CPU.
 */
function wireHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  body: string,
): Record<string, string> | undefined {
  const head: Record<string, string> = {};
  for (const name in headers) {
    const key = name.toLowerCase();
    if (key === "content-length" || key === "set-cookie") return undefined;
    head[key] = headers[name] as string;
  }
  head["content-length"] = `${Buffer.byteLength(body)}`;
  return head;
}

/**
 * A fastify request's headers as routes and error hooks read them. Node joins repeated request
 * headers with `, ` already, except `set-cookie`, which it keeps as a list: only then is a copy made.
 */
export function requestHeaders(request: FastifyRequest): RestRequestHead["headers"] {
  const headers = request.headers;
  const cookies = headers["set-cookie"];
  if (cookies === undefined) return headers as RestRequestHead["headers"];
  return { ...headers, "set-cookie": cookies.join(", ") } as RestRequestHead["headers"];
}

/**
 * Calls `then` once the request's body has arrived, discarding it unread; never when the client
 * leaves first (nothing is answered to a body that did not complete).
 */
function afterBody(request: FastifyRequest, then: () => void): void {
  const raw = request.raw;
  if (raw.complete) {
    then();
    return;
  }
  raw.once("end", then);
  raw.resume();
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Builds the fastify app: nothing listens until `app.listen()`, so tests use `app.inject()`.
 * Hooks run in this order for every request, unknown routes included: request log start → token
 * authorization → fault choice (→ delay → injected failure) → route (or 404/405) → request log.
 * An unknown route's body is received but never parsed (Starlette routes before an endpoint reads
 * the body): a malformed JSON body on a wrong method is still the runtime's 405.
 */
export async function buildRestHost(options: RestHostOptions): Promise<FastifyInstance> {
  const { hooks, ctx, logger, clock } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit,
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  });

  /** Whether every request gets a log line: pino's level decides, once, when the host is built. */
  const logRequests = logger.isLevelEnabled("info");
  const started = new WeakMap<object, number>();

  // Bodies: every body is read by request-body.ts; JSON content types are parsed (errors go to the
  // runtime's hook); everything else reaches the route as a Buffer, so a plugin decides what a
  // content type means to its runtime.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/json",
    requestBodyParser({ limit: options.bodyLimit, parse: parseJsonOrThrow }),
  );
  app.addContentTypeParser("*", requestBodyParser({ limit: options.bodyLimit }));

  /** The runtime's 404, or its 405 for a path some other method routes, through the plugin hooks. */
  const unrouted = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = pathOf(request.url);
    const headers = requestHeaders(request);
    const allowed = probeMethods.filter((method) => {
      if (method === request.method) return false;
      const found = app.findRoute({ method, url: path });
      return found !== null && !hasEmptyParam(found.params);
    });
    if (allowed.length > 0) {
      return sendCanned(reply, hooks.methodNotAllowed(request.method, path, allowed, headers));
    }
    const q = request.url.indexOf("?");
    const query = q < 0 ? "" : request.url.slice(q + 1);
    return sendCanned(reply, hooks.notFound(request.method, path, headers, query));
  };

  /** Past the platform's checks: the route, or the runtime's 404/405 before any body is read. */
  const next = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (request.is404) afterBody(request, () => unrouted(request, reply));
    else done();
  };

  // One hook, no closure per request unless a fault delays or fails it.
  app.addHook("onRequest", (request, reply, done) => {
    if (logRequests) started.set(request.raw, clock.now());

    const denied = authorize(request.headers.authorization, options.auth);
    if (denied) {
      sendCanned(reply, restDenial(options.auth.mode, denied));
      return;
    }

    let fault: FaultSpec | undefined;
    try {
      const header = request.headers[faultHeader];
      fault = chooseFault(Array.isArray(header) ? header.join(",") : header, options.faultConfig);
    } catch (error) {
      if (!(error instanceof FaultSyntaxError)) {
        done(error as Error);
        return;
      }
      sendCanned(reply, {
        status: 400,
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: `invalid ${faultHeader} header: ${error.message}\n`,
      });
      return;
    }
    if (!fault) {
      next(request, reply, done);
      return;
    }
    options.faults.set(request.raw, fault);
    const chosen = fault;
    /** The injected failure answers instead of the route, else the request goes on. */
    const failOrContinue = () => {
      const status = restFailureStatus(chosen);
      if (status === undefined) next(request, reply, done);
      else sendCanned(reply, hooks.errorBody(status, faultMessage(chosen)));
    };
    if (!chosen.delayMs) {
      failOrContinue();
      return;
    }
    const gone = new AbortController();
    const onClose = () => gone.abort();
    reply.raw.once("close", onClose);
    clock.sleep(chosen.delayMs, gone.signal).then(
      () => {
        reply.raw.off("close", onClose);
        failOrContinue();
      },
      () => {}, // the client left during the delay; nothing to answer
    );
  });

  if (logRequests) {
    // Only a logging host pays for a hook after every response (fastify then listens for each
    // response's end).
    app.addHook("onResponse", (request, reply, done) => {
      const start = started.get(request.raw) ?? clock.now();
      logger.info(
        {
          method: request.method,
          path: pathOf(request.url),
          status: reply.statusCode,
          ms: Math.round((clock.now() - start) * 10) / 10,
        },
        "request",
      );
      done();
    });
  }

  // During shutdown a keep-alive connection that finishes its last response is idle: close it
  // soon, rather than when the grace period runs out (the server closes only the idle ones it has
  // when shutdown begins). A timer while shutting down, instead of a hook on every response.
  let idleCloser: NodeJS.Timeout | undefined;
  ctx.shutdownSignal.addEventListener(
    "abort",
    () => {
      idleCloser = setInterval(() => app.server.closeIdleConnections?.(), idleCloseIntervalMs);
      idleCloser.unref();
    },
    { once: true },
  );
  app.addHook("onClose", (_app, done) => {
    clearInterval(idleCloser);
    done();
  });

  // onRequest answers unknown routes; this handler is the same answer should fastify reach it.
  app.setNotFoundHandler(unrouted);

  app.setErrorHandler((error: Error, request, reply) => {
    let bodyError: BodyError | undefined;
    if (error instanceof JsonBodyError) {
      bodyError = { kind: "malformed-json", detail: error.message, body: error.body };
    } else if ((error as { code?: string }).code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      bodyError = { kind: "too-large", detail: error.message };
    }
    if (bodyError) return sendCanned(reply, hooks.bodyError(bodyError));
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendCanned(reply, hooks.errorBody(status, error.message));
    }
    logger.error({ err: error, path: pathOf(request.url) }, "route failed");
    return sendCanned(reply, hooks.errorBody(500, STATUS_CODES[500] ?? "Internal Server Error"));
  });

  for (const plugin of options.plugins) {
    const rest = plugin.rest;
    if (!rest) continue;
    await app.register(async (child) => {
      await rest.call(plugin, child, ctx);
    });
  }
  return app;
}
