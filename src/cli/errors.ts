/** An error meant for the user: shown as one line, without a stack trace unless --debug. */
export class RidehailError extends Error {
  exitCode = 1;
  override name = 'RidehailError';
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options?.hint;
  }
  hint: string | undefined;
}

/** Bad flags or values: exit code 2, as commander uses for its own usage errors. */
export class UsageError extends RidehailError {
  override exitCode = 2;
  override name = 'UsageError';
}
