/**
 * `@servingkit/tgis`: the client of TGIS (`fmaas.GenerationService`). The typed client arrives with issue 6; the mock
 * runtime is the `./mock` subpath.
 *
 * @packageDocumentation
 */
export {};
