/**
 * A problem with the user's input or environment: the CLI prints its message as one line and
 * exits with code 2, never a stack trace. Message texts live in src/messages/.
 */
export class UserError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
