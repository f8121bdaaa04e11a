/** A mistake of the user's (a bad spec, flag or file): shown as one line, exit 2, never a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
