/**
 * What a connector may throw on purpose, and what the framework makes of it. Anything else a
 * connector throws is a bug or a cloud answer it could not read: the caller gets a 502 naming the
 * connector (`connector_error`), never a 500, and a poll is retried like any cloud failure.
 *
 * | thrown by the connector               | the caller gets                                   |
 * |---------------------------------------|---------------------------------------------------|
 * | `CommandArgumentError` (command.run)  | 400 `invalid_arguments` with the message          |
 * | `WebhookParseError` (webhook.parse)   | the payload is kept for the operator (see ingest) |
 * | `CloudAnswerError`                    | 502 `cloud_error` naming the connector            |
 * | anything from `ctx.http` (AppError)   | passed through: it is already typed               |
 * | any other throw                       | 502 `connector_error` naming the connector        |
 */

/**
 * A command's arguments passed the `input` schema but cannot apply to this device (a mode the
 * device does not allow, a setpoint outside its own limits). The message is shown to the caller.
 */
export class CommandArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandArgumentError';
  }
}

/** The cloud answered 2xx in a shape the connector cannot read. */
export class CloudAnswerError extends Error {
  constructor(what: string) {
    super(`the cloud answered ${what} in an unexpected shape`);
    this.name = 'CloudAnswerError';
  }
}
