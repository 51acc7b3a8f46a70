/**
 * gRPC server reflection (`grpc.reflection.v1` and `v1alpha`, bidi `ServerReflectionInfo`) for
 * the runtimes that serve it: the Caikit runtime registers it and caikit-nlp-client builds its
 * messages from it (caikit-tgis.md §2.1). Descriptors come from `@servingkit/proto`'s `allFiles`
 * plus the files of every service the mock registers; a file is sent with its transitive imports
 * (those not yet sent on the stream), so grpcurl and buf curl can resolve them.
 */
import { create, type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import { allFiles } from "@servingkit/proto";
import { v1, v1alpha } from "@servingkit/proto/reflection";

/** The parts of a reflection request (same in both editions) that the answer depends on. */
export interface ReflectionQuery {
  readonly host: string;
  readonly messageRequest:
    | { readonly case: "fileByFilename"; readonly value: string }
    | { readonly case: "fileContainingSymbol"; readonly value: string }
    | {
        readonly case: "fileContainingExtension";
        readonly value: { readonly containingType: string; readonly extensionNumber: number };
      }
    | { readonly case: "allExtensionNumbersOfType"; readonly value: string }
    | { readonly case: "listServices"; readonly value: string }
    | { readonly case: undefined; readonly value?: undefined };
}

/** An answer, in the shape both editions' `ServerReflectionResponse` accept (minus the echo). */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | {
      case: "allExtensionNumbersResponse";
      value: { baseTypeName: string; extensionNumber: number[] };
    }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/**
 * What reflection knows: files by name, the file of every symbol, the extensions of every
 * message, and the services the server serves.
 */
export class DescriptorIndex {
  readonly #files = new Map<string, DescFile>();
  readonly #symbols = new Map<string, DescFile>();
  readonly #extensions = new Map<string, Map<number, DescFile>>();
  readonly #messages = new Set<string>();
  readonly #services: readonly string[];

  /**
   * @param files descriptors to serve (their imports are added too)
   * @param services the fully qualified service names `list_services` answers
   */
  constructor(files: Iterable<DescFile>, services: readonly string[]) {
    this.#services = services;
    for (const file of files) this.#add(file);
  }

  #add(file: DescFile): void {
    if (this.#files.has(file.proto.name)) return;
    this.#files.set(file.proto.name, file);
    for (const dep of file.dependencies) this.#add(dep);
    const symbol = (name: string) => {
      if (!this.#symbols.has(name)) this.#symbols.set(name, file);
    };
    const addMessages = (messages: DescFile["messages"]) => {
      for (const message of messages) {
        symbol(message.typeName);
        this.#messages.add(message.typeName);
        for (const field of message.fields) symbol(`${message.typeName}.${field.name}`);
        for (const oneof of message.oneofs) symbol(`${message.typeName}.${oneof.name}`);
        for (const nested of message.nestedEnums) symbol(nested.typeName);
        for (const ext of message.nestedExtensions)
          this.#extension(ext.extendee.typeName, ext.number, file);
        addMessages(message.nestedMessages);
      }
    };
    addMessages(file.messages);
    for (const en of file.enums) symbol(en.typeName);
    for (const service of file.services) {
      symbol(service.typeName);
      for (const method of service.methods) symbol(`${service.typeName}.${method.name}`);
    }
    for (const ext of file.extensions) {
      symbol(ext.typeName);
      this.#extension(ext.extendee.typeName, ext.number, file);
    }
  }

  #extension(extendee: string, number: number, file: DescFile): void {
    let byNumber = this.#extensions.get(extendee);
    if (!byNumber) {
      byNumber = new Map();
      this.#extensions.set(extendee, byNumber);
    }
    byNumber.set(number, file);
  }

  /** A file by its compiled name (`grpc/health/v1/health.proto`). */
  file(name: string): DescFile | undefined {
    return this.#files.get(name);
  }

  /** The file declaring a fully qualified message, enum, service, method, field or extension. */
  fileOfSymbol(name: string): DescFile | undefined {
    return this.#symbols.get(name.startsWith(".") ? name.slice(1) : name);
  }

  /** The file declaring extension `number` of `extendee`. */
  fileOfExtension(extendee: string, number: number): DescFile | undefined {
    return this.#extensions.get(extendee)?.get(number);
  }

  /** The extension numbers of a message type, or undefined when the type is unknown. */
  extensionNumbers(typeName: string): number[] | undefined {
    if (!this.#messages.has(typeName)) return undefined;
    return [...(this.#extensions.get(typeName)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** The services `list_services` names. */
  services(): readonly string[] {
    return this.#services;
  }
}

// grpc/grpc src/python/grpcio_reflection/grpc_reflection/v1alpha/_base.py `_not_found_error`:
// the Python servicer (Caikit's) answers every miss with NOT_FOUND and the code's text.
function notFound(): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: "not found" } };
}

/**
 * The file and its transitive imports, each serialized FileDescriptorProto, leaving out files
 * this stream has already sent (tracked in `sent`) except the one asked for.
 */
function withImports(file: DescFile, sent: Set<string>): ReflectionAnswer {
  const out: Uint8Array[] = [];
  const visit = (f: DescFile, asked: boolean) => {
    if (!asked && sent.has(f.proto.name)) return;
    sent.add(f.proto.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    for (const dep of f.dependencies) visit(dep, false);
  };
  visit(file, true);
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
}

/** Answers one query. `sent` is the stream's memory of files already sent. */
export function answerReflection(
  index: DescriptorIndex,
  query: ReflectionQuery,
  sent: Set<string>,
): ReflectionAnswer {
  const request = query.messageRequest;
  switch (request.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: { service: index.services().map((name) => ({ name })) },
      };
    case "fileByFilename": {
      const file = index.file(request.value);
      return file ? withImports(file, sent) : notFound();
    }
    case "fileContainingSymbol": {
      const file = index.fileOfSymbol(request.value);
      return file ? withImports(file, sent) : notFound();
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = request.value;
      const file = index.fileOfExtension(containingType, extensionNumber);
      return file ? withImports(file, sent) : notFound();
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(request.value);
      return numbers
        ? {
            case: "allExtensionNumbersResponse",
            value: { baseTypeName: request.value, extensionNumber: numbers },
          }
        : notFound();
    }
    default:
      return {
        case: "errorResponse",
        value: { errorCode: Code.InvalidArgument, errorMessage: "no message_request set" },
      };
  }
}

/**
 * The descriptor index of a server, built at its first query (when every route is registered):
 * `files` (default `@servingkit/proto`'s `allFiles`) plus the files of the registered services,
 * which may come from a plugin's own protos.
 */
export function lazyDescriptorIndex(
  services: () => readonly DescService[],
  files: Iterable<DescFile> = allFiles,
): () => DescriptorIndex {
  let index: DescriptorIndex | undefined;
  return () => {
    if (!index) {
      const registered = services();
      index = new DescriptorIndex(
        [...files, ...registered.map((s) => s.file)],
        registered.map((s) => s.typeName),
      );
    }
    return index;
  };
}

/** `grpc.reflection.v1.ServerReflection`, answering from `index`. */
export function reflectionServiceV1(
  index: () => DescriptorIndex,
): Partial<ServiceImpl<typeof v1.ServerReflection>> {
  return {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const request of requests) {
        yield create(v1.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answerReflection(index(), request, sent),
        });
      }
    },
  };
}

/** `grpc.reflection.v1alpha.ServerReflection`: the same answers in the older edition. */
export function reflectionServiceV1alpha(
  index: () => DescriptorIndex,
): Partial<ServiceImpl<typeof v1alpha.ServerReflection>> {
  return {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const request of requests) {
        yield create(v1alpha.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answerReflection(index(), request, sent),
        });
      }
    },
  };
}
