/**
 * The runtime catalog: what the host must know about each serving runtime of the platform before
 * any protocol plugin is installed. Pure data; every entry names the fact it comes from.
 *
 * Sources: ARCHITECTURE.md "Ports"; reference kserve-v2.md §3 (health per server), §4.1 (gRPC
 * services), caikit-tgis.md §0-§3 (ports, routes, health, reflection), vllm-openai.md §0-§1.
 */

/** The seven runtimes of the single-model serving platform that servingkit mocks. */
export type RuntimeName =
  | "vllm"
  | "caikit-tgis"
  | "caikit-standalone"
  | "tgis"
  | "ovms"
  | "triton"
  | "mlserver";

/** Every runtime name, in the order the CLI lists them and `servingkit mock all` starts them. */
export const runtimeNames: readonly RuntimeName[] = [
  "vllm",
  "caikit-tgis",
  "caikit-standalone",
  "tgis",
  "ovms",
  "triton",
  "mlserver",
];

/** True when `name` is one of {@link runtimeNames}; narrows a CLI argument to a RuntimeName. */
export function isRuntimeName(name: string): name is RuntimeName {
  return (runtimeNames as readonly string[]).includes(name);
}

/**
 * One canned HTTP answer, as the real server sends it: status, headers and body bytes. A body of
 * `""` means an empty body (content-length 0).
 */
export interface CannedReply {
  /** HTTP status code. */
  readonly status: number;
  /** Response headers (lower-case names). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Body text; `""` for none. */
  readonly body: string;
}

/** A health or readiness route the real runtime answers, and what it answers in each state. */
export interface HealthRoute {
  /** HTTP methods that route accepts (GET routes also answer HEAD, as FastAPI and fastify do). */
  readonly methods: readonly ("GET" | "POST")[];
  /** The exact path. */
  readonly path: string;
  /**
   * `live`: answers {@link ready} as long as the process is up (liveness); `ready`: follows the
   * readiness state, answering {@link notReady} until the server is ready.
   */
  readonly kind: "live" | "ready";
  /** The answer when healthy/ready. */
  readonly ready: CannedReply;
  /** The answer while not ready (slow start, shutdown). */
  readonly notReady: CannedReply;
}

/** What the catalog knows about one runtime. */
export interface RuntimeInfo {
  /** Catalog key. */
  readonly name: RuntimeName;
  /** Display name as the platform's runtime templates call it. */
  readonly displayName: string;
  /** The REST port the platform runs the runtime on. */
  readonly httpPort: number;
  /** The gRPC port the platform runs the runtime on; undefined where the runtime has no gRPC. */
  readonly grpcPort?: number;
  /**
   * The ports when the runtime is served behind ModelMesh (the platform's multi-model serving):
   * ModelMesh's REST proxy and its gRPC port (kserve-v2.md §3.4; kserve/rest-proxy main.go
   * defaults 8008 and 8033). Undefined where ModelMesh does not serve the runtime.
   */
  readonly modelmesh?: { readonly httpPort: number; readonly grpcPort: number };
  /** Whether the runtime registers `grpc.health.v1.Health` on its gRPC port. */
  readonly grpcHealth: boolean;
  /** Whether the runtime registers gRPC server reflection (v1alpha at least) on its gRPC port. */
  readonly grpcReflection: boolean;
  /** The REST liveness/readiness routes the real runtime answers. */
  readonly healthRoutes: readonly HealthRoute[];
  /** The runtime's answer to a path it has no route for. */
  readonly notFound: CannedReply;
  /** The runtime's answer to a known path called with a method it does not route. */
  readonly methodNotAllowed: CannedReply;
  /**
   * The `grpc-message` the runtime's gRPC server sends with UNIMPLEMENTED for a method it does not
   * serve (`""` sends none).
   */
  readonly grpcUnimplementedMessage: string;
  /** Where the facts of this entry come from. */
  readonly sources: readonly string[];
}

const json = { "content-type": "application/json" } as const;

// FastAPI/Starlette defaults (vLLM, Caikit, MLServer): vllm-openai.md §1, kserve-v2.md §3.2,
// caikit-tgis.md §1.7.
const fastApiNotFound: CannedReply = { status: 404, headers: json, body: '{"detail":"Not Found"}' };
const fastApiMethodNotAllowed: CannedReply = {
  status: 405,
  headers: json,
  body: '{"detail":"Method Not Allowed"}',
};

// grpc/grpc src/python/grpcio/grpc/_server.py `_handle_unrecognized_method`: Python servers
// (Caikit, MLServer) answer an unknown method with UNIMPLEMENTED "Method not found!".
const pythonUnimplemented = "Method not found!";

// KServe v2 server live/ready routes shared by Triton and MLServer (kserve-v2.md §1.1, §3.1, §3.2).
function v2HealthRoutes(ok: CannedReply, notOk: CannedReply): HealthRoute[] {
  return [
    { methods: ["GET"], path: "/v2/health/live", kind: "live", ready: ok, notReady: notOk },
    { methods: ["GET"], path: "/v2/health/ready", kind: "ready", ready: ok, notReady: notOk },
  ];
}

// kserve-v2.md §3.4: ModelMesh's REST proxy listens on 8008, ModelMesh's gRPC on 8033.
const modelmeshPorts = { httpPort: 8008, grpcPort: 8033 } as const;

const caikitHealth: HealthRoute = {
  methods: ["GET"],
  path: "/health",
  kind: "ready",
  // caikit-tgis.md §1.1: `GET /health` → 200 text/plain `OK`.
  ready: { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: "OK" },
  // The real runtime only starts its HTTP server once models are loaded; the mock answers 503.
  notReady: { status: 503, body: "" },
};

const caikitCommon = {
  httpPort: 8080,
  grpcPort: 8085,
  // caikit-tgis.md §2.1: Health (SERVING) and grpc.reflection.v1alpha on port 8085.
  grpcHealth: true,
  grpcReflection: true,
  healthRoutes: [caikitHealth],
  notFound: fastApiNotFound,
  methodNotAllowed: fastApiMethodNotAllowed,
  grpcUnimplementedMessage: pythonUnimplemented,
  sources: ["caikit-tgis.md §0, §1.1, §1.7, §2.1", "ARCHITECTURE.md Ports"],
} as const;

/** The catalog itself, keyed by runtime name. */
export const runtimeCatalog: Readonly<Record<RuntimeName, RuntimeInfo>> = {
  vllm: {
    name: "vllm",
    displayName: "vLLM ServingRuntime for KServe",
    // vllm-openai.md §0: the platform passes --port=8080 (vLLM's own default is 8000).
    httpPort: 8080,
    grpcHealth: false,
    grpcReflection: false,
    healthRoutes: [
      {
        methods: ["GET"],
        path: "/health",
        kind: "ready",
        // vllm-openai.md §1: 200 empty body; engine dead → 503 (newer versions).
        ready: { status: 200, body: "" },
        notReady: { status: 503, body: "" },
      },
      {
        // vllm-openai.md §1: `/ping` is the SageMaker-style alias of /health, GET and POST.
        methods: ["GET", "POST"],
        path: "/ping",
        kind: "ready",
        ready: { status: 200, body: "" },
        notReady: { status: 503, body: "" },
      },
    ],
    notFound: fastApiNotFound,
    methodNotAllowed: fastApiMethodNotAllowed,
    grpcUnimplementedMessage: pythonUnimplemented,
    sources: ["vllm-openai.md §0, §1"],
  },
  "caikit-tgis": {
    name: "caikit-tgis",
    displayName: "Caikit TGIS ServingRuntime for KServe",
    ...caikitCommon,
  },
  "caikit-standalone": {
    name: "caikit-standalone",
    displayName: "Caikit Standalone ServingRuntime for KServe",
    ...caikitCommon,
  },
  tgis: {
    name: "tgis",
    displayName: "TGIS Standalone ServingRuntime for KServe",
    // caikit-tgis.md §0: HTTP 3000 serves only /health and /metrics; gRPC on 8033.
    httpPort: 3000,
    grpcPort: 8033,
    // caikit-tgis.md §3: no reflection and no grpc.health service.
    grpcHealth: false,
    grpcReflection: false,
    healthRoutes: [
      {
        methods: ["GET"],
        path: "/health",
        kind: "ready",
        // IBM/text-generation-inference router/src/server.rs `health`: Ok(()) → 200 empty body;
        // unhealthy → 503 Json(ErrorResponse{error:"unhealthy"}).
        ready: { status: 200, body: "" },
        notReady: { status: 503, headers: json, body: '{"error":"unhealthy"}' },
      },
    ],
    // The TGIS HTTP server is a bare axum Router with no fallback: 404 and 405 with empty bodies
    // (derived from router/src/server.rs; axum's defaults).
    notFound: { status: 404, body: "" },
    methodNotAllowed: { status: 405, body: "" },
    // tonic answers an unknown method with UNIMPLEMENTED and no message (derived).
    grpcUnimplementedMessage: "",
    sources: ["caikit-tgis.md §0, §3, §3.7", "IBM/text-generation-inference router/src/server.rs"],
  },
  ovms: {
    name: "ovms",
    modelmesh: modelmeshPorts,
    displayName: "OpenVINO Model Server",
    httpPort: 8888,
    grpcPort: 8001,
    // kserve-v2.md §4.1: OVMS registers no grpc.health service or reflection.
    grpcHealth: false,
    grpcReflection: false,
    healthRoutes: [
      {
        methods: ["GET"],
        path: "/v2/health/live",
        kind: "live",
        // kserve-v2.md §3.3: 200 empty body with Content-Type application/json.
        ready: { status: 200, headers: json, body: "" },
        notReady: { status: 500, headers: json, body: "" },
      },
      {
        methods: ["GET"],
        path: "/v2/health/ready",
        kind: "ready",
        ready: { status: 200, headers: json, body: "" },
        // kserve-v2.md §3.3: server not ready → 503 {"error":"Server is not ready"}.
        notReady: { status: 503, headers: json, body: '{"error":"Server is not ready"}' },
      },
    ],
    // kserve-v2.md §3.3: unknown path → 400 "Invalid request URL"; wrong verb → 406.
    notFound: { status: 400, headers: json, body: '{"error":"Invalid request URL"}' },
    methodNotAllowed: { status: 406, headers: json, body: '{"error":"Unsupported method"}' },
    grpcUnimplementedMessage: "",
    sources: ["kserve-v2.md §3.3, §4.1"],
  },
  triton: {
    name: "triton",
    modelmesh: modelmeshPorts,
    displayName: "NVIDIA Triton Inference Server",
    // ARCHITECTURE.md Ports: the platform templates pass --http-port=8080 --grpc-port=9000.
    httpPort: 8080,
    grpcPort: 9000,
    // kserve-v2.md §4.1: Triton also serves grpc.health.v1.Health; no reflection.
    grpcHealth: true,
    grpcReflection: false,
    // kserve-v2.md §3.1: health body empty, 200 if true else 400 (text/plain in curl traces).
    healthRoutes: v2HealthRoutes(
      { status: 200, headers: { "content-type": "text/plain" }, body: "" },
      { status: 400, headers: { "content-type": "text/plain" }, body: "" },
    ),
    // kserve-v2.md §3.1: 404 {"error":"Not Found"}, 405 {"error":"Method Not Allowed"}.
    notFound: { status: 404, headers: json, body: '{"error":"Not Found"}' },
    methodNotAllowed: { status: 405, headers: json, body: '{"error":"Method Not Allowed"}' },
    // gRPC C++ servers answer an unknown method with UNIMPLEMENTED and no message (derived).
    grpcUnimplementedMessage: "",
    sources: ["kserve-v2.md §3.1, §4.1, §5", "ARCHITECTURE.md Ports"],
  },
  mlserver: {
    name: "mlserver",
    modelmesh: modelmeshPorts,
    displayName: "Seldon MLServer",
    httpPort: 8080,
    grpcPort: 8081,
    // kserve-v2.md §4.1 lists no health or reflection service for MLServer.
    grpcHealth: false,
    grpcReflection: false,
    // kserve-v2.md §3.2: health answers 200 or 400 with an empty body; live is always true.
    healthRoutes: v2HealthRoutes({ status: 200, body: "" }, { status: 400, body: "" }),
    notFound: fastApiNotFound,
    methodNotAllowed: fastApiMethodNotAllowed,
    grpcUnimplementedMessage: pythonUnimplemented,
    sources: ["kserve-v2.md §3.2, §4.1"],
  },
};
