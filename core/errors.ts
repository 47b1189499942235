/**
 * Errors that reach a user say what was wrong and what was expected, in Vietnamese first and English.
 * `code` is stable for programs; SMTP layers map their own codes.
 */
export class GovmailError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly messageVi: string = message,
    public readonly status = 400,
  ) {
    super(message);
    this.name = 'GovmailError';
  }

  /** Both languages, Vietnamese first, for terminals and logs read by people. */
  get bilingual(): string {
    return this.messageVi === this.message ? this.message : `${this.messageVi} / ${this.message}`;
  }
}

export class ConfigError extends GovmailError {
  constructor(key: string, expected: string, got: string) {
    super(
      'CONFIG_INVALID',
      `configuration ${key}: expected ${expected} (${got})`,
      `cấu hình ${key}: cần ${expected} (${got})`,
    );
  }
}

export class NotFoundError extends GovmailError {
  constructor(what: string, whatVi: string, id: string) {
    super('NOT_FOUND', `${what} not found: ${id}`, `không tìm thấy ${whatVi}: ${id}`, 404);
  }
}

export class ConflictError extends GovmailError {
  constructor(what: string, whatVi: string, id: string) {
    super('ALREADY_EXISTS', `${what} already exists: ${id}`, `${whatVi} đã tồn tại: ${id}`, 409);
  }
}

export class InvalidInputError extends GovmailError {
  constructor(
    public readonly field: string,
    expected: string,
    expectedVi: string,
    got?: string,
  ) {
    const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)})`;
    const shownVi = got === undefined ? '' : ` (nhận được ${JSON.stringify(got)})`;
    super('INVALID_INPUT', `${field}: expected ${expected}${shown}`, `${field}: cần ${expectedVi}${shownVi}`, 400);
  }
}
