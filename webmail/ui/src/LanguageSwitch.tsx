import { Button } from 'antd';
import { useT } from './i18n';

/** One button that switches to the other language, labelled in that language. */
export function LanguageSwitch() {
  const { t, lang, setLang } = useT();
  const other = lang === 'vi' ? 'en' : 'vi';
  return (
    <Button size="small" lang={other} onClick={() => setLang(other)}>
      {other === 'en' ? t.english : t.vietnamese}
    </Button>
  );
}
