/**
 * The names FastAPI gives a route in its OpenAPI document, derived from the endpoint function's
 * name, for the mocks of FastAPI servers (vLLM's `/openapi.json`, MLServer's). Pure.
 */

/**
 * FastAPI's (and pydantic's) default title of a name: `_` as spaces and each word capitalised
 * (`create_chat_completion` → `Create Chat Completion`): an endpoint's summary, a parameter's
 * title.
 */
export function fastapiTitle(name: string): string {
  return name
    .split("_")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}

/**
 * FastAPI's `generate_unique_id`: the function name and the path with every non-word character
 * as `_`, then the method in lower case (`health` + `/health` + GET → `health_health_get`).
 */
export function fastapiOperationId(endpoint: string, path: string, method: string): string {
  const name = `${endpoint}${path}`.replace(/\W/g, "_");
  return `${name}_${method.toLowerCase()}`;
}
