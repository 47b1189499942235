import type { FormInstance } from 'antd';
import { ApiError } from './api';
import type { Lang } from './i18n';

/**
 * The form field a server error is about: the field it names, or — for "agency not found: X" and
 * the like, which name no field — the thing that was not found (the server's NOT_FOUND messages
 * read "<what> not found: <id>").
 */
export function errorField(err: ApiError): string | undefined {
  if (err.field) return err.field;
  if (err.code === 'NOT_FOUND') return /^(\w+) not found:/.exec(err.message)?.[1];
  return undefined;
}

/** Puts a server error next to the field it names (falls back to a general message). */
export function showServerError(form: FormInstance, err: unknown, lang: Lang, fieldMap: Record<string, string> = {}): string | undefined {
  if (!(err instanceof ApiError)) return String(err);
  const text = lang === 'vi' ? err.messageVi : err.message;
  const named = errorField(err);
  const field = named ? (fieldMap[named] ?? named) : undefined;
  if (field && form.getFieldInstance(field) !== undefined) {
    form.setFields([{ name: field, errors: [text] }]);
    return undefined;
  }
  return text;
}
