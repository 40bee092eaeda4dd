// Timer options, checked one way everywhere (embeds and autosave).
import { CoassembleError } from './errors.js';

/**
 * The longest delay a browser timer holds (2^31 - 1 ms, about 24.8 days): a longer one fires at once.
 * Timer options above it are refused with `invalid_option` rather than silently clamped, so that a
 * typo'd or computed value is seen.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `value` when it is a delay from 0 to MAX_TIMER_MS ms; else throws `CoassembleError('invalid_option')`. */
export function timerOption(value, name) {
  if (!(typeof value === 'number' && value >= 0 && value <= MAX_TIMER_MS)) {
    throw new CoassembleError('invalid_option', `${name} must be a number of ms from 0 to ${MAX_TIMER_MS}, got ${value}`);
  }
  return value;
}
