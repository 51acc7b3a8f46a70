/**
 * `@servingkit/vllm`: the client of vLLM's OpenAI-compatible server. The typed client arrives with issue 3; the mock
 * runtime is the `./mock` subpath.
 *
 * @packageDocumentation
 */
export {};
