/** An answer of the /reviews API that is not 2xx (status 0: the server could not be reached). */
export class ApiError extends Error {
  /** Set once the error has been dealt with (a 401 signs out), so views do not show it again. */
  handled = false;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
