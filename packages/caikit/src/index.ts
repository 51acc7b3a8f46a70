/**
 * `@servingkit/caikit`: the client of the Caikit NLP runtime (Caikit TGIS, Caikit Standalone). The typed client arrives with issue 5; the mock
 * runtime is the `./mock` subpath.
 *
 * @packageDocumentation
 */
export {};
