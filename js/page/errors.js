// Typed errors. Callers switch on the stable `code`, not on the message text.

/** Base class of every error the SDK throws, rejects with, or emits on `'error'`. */
export class CoassembleError extends Error {
  /**
   * @param {string} code stable machine-readable code, e.g. `'invalid_origin'`
   * @param {string} message human-readable explanation
   * @param {object} [details] extra fields copied onto the error (`raw`, `cause`, `event`...)
   */
  constructor(code, message, details) {
    super(message, details); // (Error reads only its `cause`)
    this.name = 'CoassembleError';
    this.code = code;
    if (details) Object.assign(this, details);
  }
}

/** `ready()` did not settle within `readyTimeoutMs`. */
export class TimeoutError extends CoassembleError {
  constructor(message) {
    super('timeout', message);
    this.name = 'TimeoutError';
  }
}

/** The embed was destroyed while something waited on it. */
export class DestroyedError extends CoassembleError {
  constructor(message = 'the embed was destroyed') {
    super('destroyed', message);
    this.name = 'DestroyedError';
  }
}

/**
 * The error for an option name nobody knows (a typo must not fall back to a default silently): it
 * names the known one meant when only the case differs (`readyTimeoutMS`), else says `hint`.
 * @param {string} name the unknown option
 * @param {readonly string[]} known
 * @param {string} hint
 */
export function unknownOption(name, known, hint) {
  const near = known.find((k) => k.toLowerCase() === name.toLowerCase());
  return new CoassembleError('invalid_option', `unknown option ${name}${near ? `, did you mean ${near}?` : hint}`);
}
