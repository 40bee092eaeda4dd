// Request headers in any common shape → the X-Coassemble-* ones as a Map of lower-case name → value.
// Shared by the verifier's JS wrapper and the inbox (which reads the delivery id of an unparsable body).
//
// Every value reaches the verifier as sent: a header repeated in an array (Node's `headersDistinct`,
// hand-built objects) or as several pairs is joined with ", ", which is how HTTP combines repeated
// fields and what Node and Fetch `Headers` already do. The Rust verifier splits a signature header on
// commas and spaces and accepts it when any one signature matches; an empty value stays empty, which
// the verifier refuses as `missing_header`.

/**
 * @param {object} headers a plain object (names in any case), a Fetch `Headers`, a `Map`, or pairs
 * @returns {Map<string, string>}
 */
export function coassembleHeaders(headers) {
  if (headers == null || typeof headers !== 'object') {
    throw new TypeError('verifyWebhook: `headers` must be an object, a Headers or a Map');
  }
  const entries = typeof headers[Symbol.iterator] === 'function' ? headers : Object.entries(headers);
  const found = new Map();
  for (const [name, value] of entries) {
    if (value == null || !/^x-coassemble-/i.test(name)) continue;
    const key = String(name).toLowerCase();
    if (!found.has(key)) found.set(key, []);
    found.get(key).push(...(Array.isArray(value) ? value : [value]).map(String));
  }
  return new Map([...found].map(([key, values]) => [key, values.join(', ')]));
}
