import type { FormInstance } from 'antd';
import { ApiError } from './api';
import type { Lang } from './i18n';

/** Puts a server error next to the field it names (falls back to a general message). */
export function showServerError(form: FormInstance, err: unknown, lang: Lang, fieldMap: Record<string, string> = {}): string | undefined {
  if (!(err instanceof ApiError)) return String(err);
  const text = lang === 'vi' ? err.messageVi : err.message;
  const field = err.field ? (fieldMap[err.field] ?? err.field) : undefined;
  if (field && form.getFieldInstance(field) !== undefined) {
    form.setFields([{ name: field, errors: [text] }]);
    return undefined;
  }
  return text;
}
