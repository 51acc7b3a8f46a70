/**
 * `@servingkit/kserve`: the client of KServe v2 / Open Inference Protocol (Triton, MLServer, OpenVINO Model Server). The typed client arrives with issue 4; the mock
 * runtime is the `./mock` subpath.
 *
 * @packageDocumentation
 */
export {};
