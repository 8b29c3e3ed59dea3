/**
 * A failure of the local stack the user can act on (missing Java, port taken, process died). Its
 * message is meant to be shown as is; the CLI turns it into a RidehailError. Kept separate from
 * the CLI's errors so this library does not depend on the CLI layer.
 */
export class LocalStackError extends Error {
  override readonly name = 'LocalStackError';
}
