/**
 * One error style everywhere (see STYLE.md, after sharp): the message names the file or
 * parameter, what was expected and what came. The CLI maps each class to an exit code.
 */

/** Bad input a user can cause: unreadable, corrupt, unsupported, too large, incompatible. Exit 2. */
export class InputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Wrong command-line usage: unknown option, missing argument, bad value. Exit 1. */
export class UsageError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit code for an error: 2 input, 1 usage, 3 anything else (an internal error). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof InputError) return 2;
  if (err instanceof UsageError) return 1;
  return 3;
}

/** `Expected <what> for <name> but received <value> of type <type>` */
export function expected(what: string, name: string, value: unknown): string {
  return `Expected ${what} for ${name} but received ${String(value)} of type ${typeof value}`;
}
