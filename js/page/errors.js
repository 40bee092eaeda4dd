// Typed errors. Callers switch on the stable `code`, not on the message text.

/** Base class of every error the SDK throws, rejects with, or emits on `'error'`. */
export class CoassembleError extends Error {
  /**
   * @param {string} code stable machine-readable code, e.g. `'invalid_origin'`
   * @param {string} message human-readable explanation
   * @param {object} [details] extra fields copied onto the error (`raw`, `cause`, `event`...)
   */
  constructor(code, message, details) {
    super(message, details && 'cause' in details ? { cause: details.cause } : undefined);
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
