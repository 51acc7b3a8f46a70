/**
 * The mock of KServe v2 / Open Inference Protocol (Triton, MLServer, OpenVINO Model Server): the
 * `RuntimeMockModule` that `@servingkit/mocks` starts for its runtimes. One implementation, three
 * profiles (`src/mock/profiles.ts`) picked by runtime; REST routes and the gRPC service are thin
 * adapters over the pure handlers in `src/mock/`.
 *
 * @packageDocumentation
 */
import {
  type Clock,
  healthRouteTable,
  latencyOptions,
  type MockPlugin,
  type PluginContext,
  type RestRoute,
  type RestRouteRequest,
  type RestRouteTable,
  type RuntimeMockModule,
  type RuntimeModuleSettings,
  realClock,
  registerRestRouteTable,
  runtimeCatalog,
  streamIntervalOption,
  withholdBaseHealthRoutes,
  wrapBaseHealthRoutes,
} from "@servingkit/mock-core/host";
import { InferFault } from "./mock/fault.js";
import { grpcInferenceHandlers, type InferenceHandlers, registerGrpcService } from "./mock/grpc.js";
import type { KserveMockState } from "./mock/mock-state.js";
import { type ModelControlMode, ModelRepository } from "./mock/model-control.js";
import { ModelMeshIds, modelmeshHandlers, modelmeshModelId } from "./mock/modelmesh.js";
import {
  codeOfHttpStatus,
  modelmeshRestTable,
  proxyError,
  proxyMethodNotAllowed,
  proxyNotFound,
} from "./mock/modelmesh-rest-proxy.js";
import type { MockModel } from "./mock/models.js";
import {
  type KserveProfile,
  type KserveRuntime,
  profiles,
  withLegacyStatus,
} from "./mock/profiles.js";
import { readMlserverRepository } from "./mock/repository.js";
import { faultReply, kserveRestTable, registerRestRoutes } from "./mock/rest.js";
import { slashRedirect } from "./mock/slash-redirect.js";
import { StatsStore } from "./mock/triton-extensions.js";
import { registerTritonHealth } from "./mock/triton-health.js";
import { LogSettingsStore } from "./mock/triton-logging.js";
import {
  grpcRestrictedPrefix,
  parseRestrictions,
  type Restrictions,
  restRefusal,
  restrictedHandlers,
  restrictHealthCheck,
} from "./mock/triton-restricted.js";
import { SharedMemoryRegistry } from "./mock/triton-shared-memory.js";
import { TraceSettingsStore } from "./mock/triton-trace.js";

export { type ModelControlMode, ModelRepository } from "./mock/model-control.js";
export { modelmeshModelId } from "./mock/modelmesh.js";
export { type KserveProfile, type KserveRuntime, profiles } from "./mock/profiles.js";

/** Options of {@link kserveMockPlugin}. */
export interface KserveMockOptions {
  /** Which runtime's profile. */
  readonly runtime: KserveRuntime;
  /** Triton before 24.01: every error answered with 400 (default false: the 24.01+ mapping). */
  readonly legacyStatus?: boolean;
  /** Serve only these models (by name); default all of the runtime's (or the repository's). */
  readonly models?: readonly string[];
  /** Models read from a repository (see {@link KserveProfile.readRepository}) instead of the built-ins. */
  readonly repositoryModels?: readonly MockModel[];
  /**
   * Triton's `--model-control-mode`: `none` (default) loads every model at start and refuses
   * load/unload (503); `explicit` loads only {@link loadModels} and then what load requests name;
   * `poll` loads every model, refuses load/unload, and reads the repository again every
   * {@link repositoryPollSecs} ({@link rereadRepository}).
   */
  readonly modelControlMode?: ModelControlMode;
  /** Triton `--repository-poll-secs` (poll mode): seconds between reads of the repository; default 15, 0 never. */
  readonly repositoryPollSecs?: number;
  /**
   * Reads the repository's folder again (`--model-repository`): Triton's poll mode, MLServer's
   * load and index. Default none: the repository stays as given.
   */
  readonly rereadRepository?: () => readonly MockModel[];
  /** Triton's `--load-model`: the models loaded at start in explicit mode (`*` = all); default none. */
  readonly loadModels?: readonly string[];
  /**
   * Serve as ModelMesh does (kserve-v2.md §3.4): gRPC through ModelMesh's model id routing, REST
   * as its REST proxy (only model metadata and infer, `{code, message}` errors, no health
   * routes), models under ModelMesh's internal ids. Default false.
   */
  readonly modelmesh?: boolean;
  /**
   * Where POSIX shm keys live for Triton's system shared memory: `/dev/shm` (Linux, the
   * default). A key `/k` is the file `<dir>/k`.
   */
  readonly sharedMemoryDir?: string;
  /**
   * Pacing of Triton's `vllm_model` (`--time-to-first-token`, `--inter-token-latency`, in
   * milliseconds, as the vLLM mock's flags); default none: tokens come at once.
   */
  readonly vllmPacing?: { readonly timeToFirstTokenMs: number; readonly interTokenMs: number };
  /**
   * Triton's `vllm_model` `model.json` `stream_interval` in tokens (`--stream-interval`): the
   * built-in model's, and a repository model's whose `model.json` sets none. Default 1 (vLLM's
   * default: every token its own response).
   */
  readonly vllmStreamInterval?: number;
  /**
   * How long each model takes to load, in milliseconds (`--load-delay`, given in seconds); default
   * 0. MLServer and OVMS serve while their start-up models load (readiness false, their own
   * not-ready refusals); Triton opens its ports after its start-up loads, so there the delay is
   * what each load request takes (the model LOADING meanwhile).
   */
  readonly loadDelayMs?: number;
  /**
   * Triton `--strict-readiness` (default true): server readiness is false while a model loads.
   * False: the server stays ready (core server.cc `IsReady`).
   */
  readonly strictReadiness?: boolean;
  /**
   * Triton `--exit-on-error` (default true): a model loaded at start that fails stops the start;
   * false: the server starts without it (model-control.ts `LoadTiming.exitOnError`).
   */
  readonly exitOnError?: boolean;
  /**
   * Triton `--http-restricted-api` (REST) and `--grpc-restricted-protocol` (gRPC) restrictions,
   * parsed ({@link parseRestrictions}); default none.
   */
  readonly restricted?: { readonly http: Restrictions; readonly grpc: Restrictions };
}

/** The profile a set of options selects. */
export function selectProfile(options: KserveMockOptions): KserveProfile {
  const profile = profiles[options.runtime];
  return options.legacyStatus ? withLegacyStatus(profile) : profile;
}

/**
 * The models a mock serves: all built-in ones when no names are given; else the named built-in
 * models, and an FP32 identity
 * (INPUT0 → OUTPUT0, any 2-D shape) under each other name, so a seed command with the user's
 * model name works.
 */
export function selectModels(profile: KserveProfile, names: readonly string[]): MockModel[] {
  if (names.length === 0) return [...profile.models];
  const identity = profile.models.find((m) => m.name === "identity_fp32");
  return names.flatMap((name) => {
    const builtIn = profile.models.find((m) => m.name === name);
    if (builtIn) return [builtIn];
    return identity ? [{ ...identity, name }] : [];
  });
}

/**
 * The models a set of options serves: the repository's (else the runtime's built-ins), filtered
 * by `models` as {@link selectModels} does, under the names clients send (in ModelMesh mode the
 * runtime holds them under ModelMesh's internal ids; clients still send these names).
 */
function servedModels(options: KserveMockOptions): MockModel[] {
  const profile = profiles[options.runtime];
  const source = options.repositoryModels
    ? { ...profile, models: options.repositoryModels }
    : profile;
  const selected = selectModels(source, options.models ?? []);
  const paced = options.vllmPacing;
  const interval = options.vllmStreamInterval;
  if (paced === undefined && interval === undefined) return selected;
  const pacing = {
    timeToFirstTokenMs: paced?.timeToFirstTokenMs ?? 0,
    interTokenMs: paced?.interTokenMs ?? 0,
    ...(interval !== undefined ? { streamInterval: interval } : {}),
  };
  // A paced engine of its own for each vLLM backend model (the built-in ones are unpaced).
  return selected.map((m) => m.withPacing?.(pacing) ?? m);
}

/**
 * The model names clients send to a mock with these options, in the order it serves them: what
 * the CLI's ready line shows (`RuntimeMockModule.defaultModels`). With Triton's explicit model
 * control these are every model of the repository, loaded or not (a load request names them too).
 */
export function servedModelNames(options: KserveMockOptions): string[] {
  return servedModels(options).map((m) => m.name);
}

/**
 * The profile and the model repository (with its load state) a set of options serves; in ModelMesh
 * mode the runtime holds each model under ModelMesh's internal id and `ids` resolves the names.
 */
function served(options: KserveMockOptions): {
  profile: KserveProfile;
  repository: ModelRepository;
  logging: LogSettingsStore;
  trace: TraceSettingsStore;
  sharedMemory: SharedMemoryRegistry | undefined;
  ids: ModelMeshIds | undefined;
} {
  const profile = selectProfile(options);
  const selected = servedModels(options);
  const ids = options.modelmesh ? new ModelMeshIds(selected.map((m) => m.name)) : undefined;
  const models = ids ? selected.map((m) => ({ ...m, name: modelmeshModelId(m.name) })) : selected;
  const repository = new ModelRepository(
    profile,
    models,
    options.modelControlMode ?? "none",
    options.loadModels ?? [],
    {
      ...(options.loadDelayMs !== undefined ? { loadDelayMs: options.loadDelayMs } : {}),
      ...(options.strictReadiness !== undefined
        ? { strictReadiness: options.strictReadiness }
        : {}),
      ...(options.exitOnError !== undefined ? { exitOnError: options.exitOnError } : {}),
      ...(options.repositoryPollSecs !== undefined
        ? { repositoryPollMs: options.repositoryPollSecs * 1000 }
        : {}),
    },
    // ModelMesh holds models under its own ids: its repository is not read again.
    ids ? undefined : options.rereadRepository,
  );
  return {
    profile,
    repository,
    logging: new LogSettingsStore(),
    trace: new TraceSettingsStore(),
    // Only a runtime that lists the extension in `GET /v2` serves it (kserve-v2.md §3.1).
    sharedMemory: profile.extensions?.includes("system_shared_memory")
      ? new SharedMemoryRegistry(options.sharedMemoryDir)
      : undefined,
    ids,
  };
}

/**
 * The REST surface of a KServe v2 runtime as a host-neutral route table (mock-core), with its own
 * statistics on `clock`: what `@servingkit/msw` serves (the fastify plugin registers the same
 * table). Health routes and 404/405 answers are the runtime's base plugin's.
 */
export function kserveRouteTable(options: KserveMockOptions, clock: Clock): RestRouteTable {
  const { ids, ...held } = served(options);
  const state: KserveMockState = { ...held, stats: new StatsStore(clock) };
  held.repository.start(clock);
  if (ids) {
    const handlers = grpcInferenceHandlers(state, () => true);
    return modelmeshRestTable({ handlers: modelmeshHandlers(handlers, ids) });
  }
  const runtime = runtimeCatalog[options.runtime];
  return kserveRestTable({ ...state, runtime });
}

/**
 * The KServe v2 protocol plugin for one runtime: REST routes, gRPC service, body errors. REST and
 * gRPC share one model repository, so a load over one is seen by the other.
 */
export function kserveMockPlugin(options: KserveMockOptions): MockPlugin {
  const { ids, ...held } = served(options);
  const { profile } = held;
  // One state for REST and gRPC; its statistics use the host's clock, known when the first adapter registers.
  let state: KserveMockState | undefined;
  let followed = false;
  const stateOf = (clock: Clock, ctx?: PluginContext): KserveMockState => {
    state ??= { ...held, stats: new StatsStore(clock) };
    held.repository.start(clock, ctx?.shutdownSignal);
    if (ctx !== undefined && !followed) {
      followed = true;
      followModelLoads(held.repository, ctx);
    }
    return state;
  };
  if (ids) return modelmeshPlugin(profile, ids, stateOf);
  const runtime = runtimeCatalog[profile.runtime];
  // Every route the runtime serves (health routes too), for Starlette's redirect check. Only
  // matched, never called: where no host has made the state yet (msw), the real clock is unused.
  let known: readonly RestRoute[] | undefined;
  const knownRoutes = () => {
    known ??= [
      ...healthRouteTable(runtime).routes,
      ...kserveRestTable({ ...stateOf(realClock), runtime }).routes,
    ];
    return known;
  };
  return {
    name: `kserve-v2-${profile.runtime}`,
    rest: (app, ctx) => {
      const http = options.restricted?.http;
      if (http !== undefined && http.size > 0) restrictRest(app, ctx, http);
      registerRestRoutes(app, ctx, stateOf(ctx.clock, ctx));
    },
    grpc: (router, ctx) => {
      const grpc = options.restricted?.grpc;
      const wrap =
        grpc === undefined || grpc.size === 0
          ? undefined
          : (handlers: InferenceHandlers) =>
              restrictedHandlers(handlers, grpc, (m) => m === "modelStreamInfer");
      registerGrpcService(router, ctx, stateOf(ctx.clock, ctx), wrap);
      if (profile.runtime === "triton") registerTritonHealth(router, ctx.shutdownSignal);
      if (grpc !== undefined) restrictHealthCheck(router, grpc, () => ctx.readiness.ready);
    },
    // A FastAPI runtime's unknown path: Starlette's trailing-slash redirect, else its 404.
    ...(profile.fastapi
      ? {
          notFound: (
            method: string,
            path: string,
            headers: RestRouteRequest["headers"],
            query: string,
          ) => slashRedirect(knownRoutes(), method, path, headers, query) ?? runtime.notFound,
        }
      : {}),
    // Triton checks a restriction before the method (http_server.cc: RETURN_AND_RESPOND_IF_RESTRICTED
    // opens each handler, the 405 comes after), so a wrong method on a restricted path is its 403.
    ...(options.restricted !== undefined && options.restricted.http.size > 0
      ? { methodNotAllowed: restrictedMethodNotAllowed(options.restricted.http, runtime) }
      : {}),
    bodyError: (error) => {
      if (error.kind === "too-large") {
        // Over the host's body limit: the runtime's internal error in its own envelope.
        const reply = faultReply(profile, new InferFault("internal", error.detail));
        return { status: 413, headers: { ...reply.headers }, body: String(reply.body) };
      }
      const text = error.body?.toString("utf8") ?? "";
      const reply = faultReply(profile, profile.messages.malformedJson(error.detail, text));
      return { status: reply.status, headers: { ...reply.headers }, body: String(reply.body) };
    },
  };
}

/**
 * Server readiness follows the model loads where readiness is strict: false while a model loads
 * (MLServer dataplane.py `ready` is every model's; OVMS is ready once its servable manager has
 * loaded; Triton server.cc `IsReady` with `--strict-readiness`, triton#7014), true again after.
 * The host's readiness is one flag: a `--slow-start` still under way when the loads end is cut
 * short by them; after shutdown begins the loads leave it alone.
 */
function followModelLoads(repository: ModelRepository, ctx: PluginContext): void {
  if (!repository.strictReadiness) return;
  if (!repository.allReady()) ctx.readiness.set(false);
  const unsubscribe = repository.onReadiness((allReady) => {
    // Once shutdown has begun the host keeps readiness false; a load ending then changes nothing.
    if (!ctx.shutdownSignal.aborted) ctx.readiness.set(allReady);
  });
  ctx.shutdownSignal.addEventListener("abort", unsubscribe, { once: true });
}

/**
 * Triton's `--http-restricted-api` on the REST surface: the runtime's routes (a hook of this
 * plugin's scope, before the body is read) and the host's health routes (their wrapper) answer
 * 403 where the request lacks its category's header (triton-restricted.ts).
 */
function restrictRest(
  app: Parameters<NonNullable<MockPlugin["rest"]>>[0],
  ctx: PluginContext,
  restrictions: Restrictions,
): void {
  const json = { "content-type": "application/json" };
  wrapBaseHealthRoutes(ctx, (head, reply) => {
    const refused = restRefusal(restrictions, head.path, (name) => head.headers[name]);
    return refused === undefined ? reply : { status: 403, headers: json, body: refused };
  });
  app.addHook("onRequest", (request, reply, done) => {
    const path = request.url.split("?", 1)[0] ?? request.url;
    const refused = restRefusal(restrictions, path, (name) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(", ") : value;
    });
    if (refused === undefined) done();
    else reply.code(403).headers(json).send(refused);
  });
}

/**
 * The wrong-method answer under `--http-restricted-api`: Triton's 403 where the path's category
 * is restricted and the request lacks its header, else the runtime's own 405 (Triton's is not
 * Starlette's, so it carries no `allow`).
 */
function restrictedMethodNotAllowed(
  restrictions: Restrictions,
  runtime: { readonly methodNotAllowed: ReturnType<NonNullable<MockPlugin["methodNotAllowed"]>> },
): NonNullable<MockPlugin["methodNotAllowed"]> {
  return (_method, path, _allowed, headers) => {
    const refused = restRefusal(restrictions, path, (name) => headers[name]);
    return refused === undefined
      ? runtime.methodNotAllowed
      : { status: 403, headers: { "content-type": "application/json" }, body: refused };
  };
}

/** The `--modelmesh` plugin: ModelMesh's gRPC routing and the REST proxy's surface and errors. */
function modelmeshPlugin(
  profile: KserveProfile,
  ids: ModelMeshIds,
  stateOf: (clock: Clock, ctx?: PluginContext) => KserveMockState,
): MockPlugin {
  const wrap = (handlers: Parameters<typeof modelmeshHandlers>[0]) =>
    modelmeshHandlers(handlers, ids);
  return {
    name: `kserve-v2-${profile.runtime}-modelmesh`,
    rest: (app, ctx) => {
      // The REST proxy routes no health paths (kserve-v2.md §3.4): grpc-gateway's 404.
      withholdBaseHealthRoutes(ctx, proxyNotFound);
      const handlers = grpcInferenceHandlers(stateOf(ctx.clock, ctx), () => ctx.readiness.ready);
      registerRestRouteTable(app, ctx, modelmeshRestTable({ handlers: wrap(handlers) }));
    },
    grpc: (router, ctx) => registerGrpcService(router, ctx, stateOf(ctx.clock, ctx), wrap),
    notFound: () => proxyNotFound,
    // The runtime's health paths are withheld, so a wrong method there is still no route.
    methodNotAllowed: (_method, path) =>
      path.startsWith("/v2/health/") ? proxyNotFound : proxyMethodNotAllowed,
    errorBody: (status, message) => proxyError(codeOfHttpStatus(status), message),
    bodyError: (error) => proxyError(codeOfHttpStatus(413), error.detail),
  };
}

/** The kserve-v2 protocol family's mock module. */
export const kserveMockModule: RuntimeMockModule = {
  name: "kserve-v2",
  runtimes: ["ovms", "triton", "mlserver"],
  options: {
    "legacy-status": {
      type: "boolean",
      help: "Triton before 24.01: answer every error with HTTP 400 (default: the 24.01+ mapping)",
    },
    "model-repository": {
      type: "string",
      valueName: "DIR",
      help: "serve the models of a repository (Triton config.pbtxt, MLServer model-settings.json, OVMS config.json) instead of the built-ins",
    },
    "model-control-mode": {
      type: "string",
      valueName: "MODE",
      help: "Triton: none (default; every model loaded, load/unload refused), explicit (load/unload requests decide) or poll (every model loaded, load/unload refused, the --model-repository read again every --repository-poll-secs: new folders load, removed ones unload, changed ones reload)",
    },
    "repository-poll-secs": {
      type: "string",
      valueName: "SECONDS",
      help: "Triton poll mode: whole seconds between reads of the model repository (default 15; 0 or less never polls; ignored in other modes)",
    },
    modelmesh: {
      type: "boolean",
      help: "serve as ModelMesh does: REST proxy (metadata and infer only, {code, message} errors, no health routes; port 8008) and gRPC model id routing (mm-vmodel-id / mm-model-id; port 8033)",
    },
    "load-model": {
      type: "string",
      multiple: true,
      valueName: "NAME",
      help: "Triton explicit mode: a model loaded at start (repeatable; * for all); default none",
    },
    "load-delay": {
      type: "string",
      valueName: "SECONDS",
      help: "each model takes this long to load (default 0): MLServer and OVMS answer not ready / not loaded yet meanwhile; Triton's load requests take this long (the model LOADING). Not --slow-start, which holds the whole server not ready for MS milliseconds with no model state",
    },
    "exit-on-error": {
      type: "string",
      valueName: "BOOL",
      help: "Triton: true (default) stops the start when a model loaded at start fails its poll or load; false starts without it",
    },
    "http-restricted-api": {
      type: "string",
      multiple: true,
      valueName: "API:KEY=VALUE",
      help: "Triton: REST requests to these APIs (health, metadata, inference, shared-memory, model-config, model-repository, statistics, trace, logging; comma-separated) need header KEY: VALUE, else 403 (repeatable)",
    },
    "grpc-restricted-protocol": {
      type: "string",
      multiple: true,
      valueName: "API:KEY=VALUE",
      help: "Triton: gRPC calls to these APIs need metadata triton-grpc-protocol-KEY: VALUE, else UNAVAILABLE (repeatable)",
    },
    "strict-readiness": {
      type: "string",
      valueName: "BOOL",
      help: "Triton: true (default) answers server not ready while a model loads; false keeps the server ready",
    },
    "stream-interval": streamIntervalOption,
    // Triton's vllm_model, paced as the vLLM mock is.
    ...latencyOptions,
  },
  defaultModels: (settings) => servedModelNames(kserveMockOptions(settings)),
  // Async, so an unusable option value is a rejected promise, as the host awaits it.
  plugins: async (settings) => [kserveMockPlugin(kserveMockOptions(settings))],
};

/**
 * The kserve mock's options from the module's settings (`--legacy-status`,
 * `--model-repository DIR` read now, synchronously, `--model` names), as the CLI gives them.
 * Throws an Error naming the option for unusable values.
 */
export function kserveMockOptions(settings: RuntimeModuleSettings): KserveMockOptions {
  const runtime = settings.runtime as KserveRuntime;
  const dir = settings.values["model-repository"];
  let repositoryModels: MockModel[] | undefined;
  if (typeof dir === "string") {
    try {
      repositoryModels = profiles[runtime].readRepository(dir);
    } catch (error) {
      throw new Error(`--model-repository ${dir}: ${(error as Error).message}`);
    }
  }
  const mode = settings.values["model-control-mode"];
  if (mode !== undefined && mode !== "none" && mode !== "explicit" && mode !== "poll") {
    throw new Error(`--model-control-mode ${String(mode)}: expected none, explicit or poll`);
  }
  if ((mode === "explicit" || mode === "poll") && runtime !== "triton") {
    throw new Error(
      `--model-control-mode ${mode}: only the triton mock has Triton's model control`,
    );
  }
  const pollSecsValue = settings.values["repository-poll-secs"];
  const pollSecs = pollSecsValue === undefined ? undefined : Number(pollSecsValue);
  if (
    pollSecs !== undefined &&
    (typeof pollSecsValue !== "string" ||
      !/^-?\d+$/.test(pollSecsValue.trim()) ||
      !Number.isSafeInteger(pollSecs))
  ) {
    throw new Error(
      `--repository-poll-secs ${String(pollSecsValue)}: expected whole seconds (an integer)`,
    );
  }
  if (pollSecs !== undefined && runtime !== "triton") {
    throw new Error("--repository-poll-secs: only the triton mock polls its repository");
  }
  const streamInterval = tokens(settings, "stream-interval");
  const ttft = milliseconds(settings, "time-to-first-token");
  const itl = milliseconds(settings, "inter-token-latency");
  const delay = settings.values["load-delay"];
  const loadDelaySeconds = delay === undefined ? undefined : Number(delay);
  if (
    loadDelaySeconds !== undefined &&
    (typeof delay !== "string" ||
      delay.trim() === "" ||
      !Number.isFinite(loadDelaySeconds) ||
      loadDelaySeconds < 0)
  ) {
    throw new Error(`--load-delay ${String(delay)}: expected seconds (a number >= 0)`);
  }
  const strict = settings.values["strict-readiness"];
  if (strict !== undefined && strict !== "true" && strict !== "false") {
    throw new Error(`--strict-readiness ${String(strict)}: expected true or false`);
  }
  if (strict !== undefined && runtime !== "triton") {
    throw new Error("--strict-readiness: only the triton mock has Triton's strict readiness");
  }
  const exit = settings.values["exit-on-error"];
  if (exit !== undefined && exit !== "true" && exit !== "false") {
    throw new Error(`--exit-on-error ${String(exit)}: expected true or false`);
  }
  if (exit !== undefined && runtime !== "triton") {
    throw new Error("--exit-on-error: only the triton mock has Triton's start-up loads");
  }
  const restricted = tritonRestrictions(settings);
  const load = settings.values["load-model"];
  const loadModels = typeof load === "string" ? [load] : Array.isArray(load) ? [...load] : [];
  if (loadModels.length > 0 && mode !== "explicit") {
    // server command_line_parser.cc, after parsing: tritonserver refuses to start.
    throw new Error(
      "--load-model: Error: Use of '--load-model' requires setting '--model-control-mode=explicit' as well.",
    );
  }
  return {
    runtime,
    legacyStatus: settings.values["legacy-status"] === true,
    models: settings.models,
    ...(repositoryModels ? { repositoryModels } : {}),
    ...(mode ? { modelControlMode: mode } : {}),
    // Triton reads --repository-poll-secs in poll mode only (other modes start no polling).
    // (server main.cc / command_line_parser.cc: 0 outside poll mode, std::max(0, secs) in it).
    ...(pollSecs !== undefined && mode === "poll"
      ? { repositoryPollSecs: Math.max(0, pollSecs) }
      : {}),
    ...(typeof dir === "string"
      ? {
          // MLServer's re-reads (repository.py `list`) log an unreadable settings file and skip it.
          rereadRepository:
            runtime === "mlserver"
              ? () => readMlserverRepository(dir, true)
              : () => profiles[runtime].readRepository(dir),
        }
      : {}),
    ...(loadModels.length > 0 ? { loadModels } : {}),
    ...(settings.values.modelmesh === true ? { modelmesh: true } : {}),
    ...(loadDelaySeconds !== undefined ? { loadDelayMs: loadDelaySeconds * 1000 } : {}),
    ...(strict !== undefined ? { strictReadiness: strict === "true" } : {}),
    ...(exit !== undefined ? { exitOnError: exit === "true" } : {}),
    ...(restricted !== undefined ? { restricted } : {}),
    ...(ttft !== undefined || itl !== undefined
      ? { vllmPacing: { timeToFirstTokenMs: ttft ?? 0, interTokenMs: itl ?? 0 } }
      : {}),
    ...(streamInterval !== undefined ? { vllmStreamInterval: streamInterval } : {}),
  };
}

/**
 * `--stream-interval N` (Triton only: the vLLM backend's `model.json` key): a whole number of
 * tokens >= 1, undefined when absent; throws naming the flag.
 */
function tokens(settings: RuntimeModuleSettings, name: string): number | undefined {
  const value = settings.values[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new Error(`--${name} ${String(value)}: expected a whole number of tokens >= 1`);
  }
  if (settings.runtime !== "triton") {
    throw new Error(`--${name}: only the triton mock serves Triton's vllm_model`);
  }
  return Number(value);
}

/** The `--http-restricted-api` / `--grpc-restricted-protocol` restrictions (Triton only); undefined when none. */
function tritonRestrictions(
  settings: RuntimeModuleSettings,
): { http: Restrictions; grpc: Restrictions } | undefined {
  const list = (name: string): string[] => {
    const value = settings.values[name];
    return typeof value === "string" ? [value] : Array.isArray(value) ? [...value] : [];
  };
  const http = list("http-restricted-api");
  const grpc = list("grpc-restricted-protocol");
  if (http.length === 0 && grpc.length === 0) return undefined;
  if (settings.runtime !== "triton") {
    throw new Error(
      "--http-restricted-api / --grpc-restricted-protocol: only the triton mock has Triton's restricted APIs",
    );
  }
  return {
    http: parseRestrictions(http, "", "http-restricted-api"),
    grpc: parseRestrictions(grpc, grpcRestrictedPrefix, "grpc-restricted-protocol"),
  };
}

/** A milliseconds option (a finite number >= 0), undefined when absent; throws naming it. */
function milliseconds(settings: RuntimeModuleSettings, name: string): number | undefined {
  const value = settings.values[name];
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(ms) || ms < 0) {
    throw new Error(`--${name} ${String(value)}: expected milliseconds (a number >= 0)`);
  }
  return ms;
}
