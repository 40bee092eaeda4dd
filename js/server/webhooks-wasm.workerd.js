// Cloudflare Workers (workerd) may not compile wasm from bytes at run time ("Wasm code generation
// disallowed by embedder"). Their build of coassemble-events/webhooks (the `workerd` export condition,
// dist/webhooks.workerd.js) takes the verifier's wasm from this module instead of the inlined bytes:
// a `.wasm` import, which the Workers bundler (wrangler: the CompiledWasm rule) precompiles at deploy
// time, so initSync gets a WebAssembly.Module and compiles nothing.
export { default } from '../../pkg/webhooks/coassemble_events_webhooks_bg.wasm';
