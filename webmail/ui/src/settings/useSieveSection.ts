import { useEffect, useState } from 'react';
import { App, type FormInstance } from 'antd';
import { ApiError } from '../api';
import { useT } from '../i18n';
import { fieldMessage, fieldPath, loadSieve, saveSieve, unavailable, type SieveModel, type SieveSettings } from './sieveApi';

/**
 * One card's share of the Sieve model (the vacation reply or the filters): loading it into the form,
 * saving the form back, and showing the server's refusal next to the field it names.
 */
export function useSieveSection<F>(o: {
  form: FormInstance<F>;
  part: keyof SieveModel;
  toForm: (model: SieveModel) => Parameters<FormInstance<F>['setFieldsValue']>[0];
  toModel: (values: F) => Partial<SieveModel>;
  /** The form field for a path the server named (`fieldPath`), or undefined to show the error above the form. */
  fieldFor: (path: Array<string | number>) => Array<string | number> | undefined;
}) {
  const { t, lang } = useT();
  const { message } = App.useApp();
  const [settings, setSettings] = useState<SieveSettings>();
  const [state, setState] = useState<'loading' | 'ready' | 'unavailable'>('loading');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const apply = (s: SieveSettings) => {
    setSettings(s);
    o.form.setFieldsValue(o.toForm(s.model));
    setState('ready');
  };
  useEffect(() => {
    loadSieve().then(apply, (e) => (unavailable(e) ? setState('unavailable') : setError(e instanceof ApiError ? e.text(lang) : t.errorGeneric)));
    // Loaded once; the language only changes how errors read.
  }, []);

  const save = async (replaceCustom = false) => {
    let values: F;
    try {
      values = await o.form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      apply(await saveSieve(o.toModel(values), replaceCustom));
      message.success(t.saved);
    } catch (e) {
      const path = fieldPath(e, o.part);
      const field = path && o.fieldFor(path);
      if (field && e instanceof ApiError) o.form.setFields([{ name: field as never, errors: [fieldMessage(e.text(lang))] }]);
      else if (e instanceof ApiError && e.code === 'SIEVE_CUSTOM') await loadSieve().then(apply, () => undefined);
      else setError(e instanceof ApiError ? e.text(lang) : t.errorGeneric);
    } finally {
      setBusy(false);
    }
  };
  return { settings, state, error, busy, save };
}
