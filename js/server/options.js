// One rule for every server entry's options: a name it does not know is a TypeError that lists the
// known ones (a typo is never silently ignored).

/**
 * @param {string} where the function named in the message, e.g. `'inbox.start'`
 * @param {object} options the caller's options object
 * @param {readonly string[]} known the option names `where` takes
 */
export function rejectUnknownOptions(where, options, known) {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new TypeError(`${where}: unknown option \`${name}\` (known: ${known.join(', ')})`);
  }
}
