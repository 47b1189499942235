import { Button, Dropdown, Layout, Space, Typography } from 'antd';
import { api, type SearchCriteria, type User } from './api';
import { useT } from './i18n';
import { LanguageSwitch } from './LanguageSwitch';
import { SearchBar } from './SearchBar';

interface Props {
  user: User;
  wide: boolean;
  searchFocus: number;
  /** The quick search being shown, if any. */
  searchText: string;
  onSearch: (c: SearchCriteria) => void;
  onMenu: () => void;
  onHelp: () => void;
  onSettings: () => void;
  onLogout: () => void;
}

/** The header: folder menu (on a phone), name, search, help, settings, language and the signed-in user. */
export function TopBar({ user, wide, searchFocus, searchText, onSearch, onMenu, onHelp, onSettings, onLogout }: Props) {
  const { t } = useT();
  const logout = async () => {
    await api('POST', '/logout').catch(() => undefined);
    onLogout();
  };
  return (
    <Layout.Header className="topbar">
      {!wide && (
        <Button type="text" onClick={onMenu} aria-label={t.openMenu} className="menu-button">
          <span aria-hidden="true">☰</span>
        </Button>
      )}
      {wide && <Typography.Text strong className="brand">{t.appName}</Typography.Text>}
      <SearchBar focusSignal={searchFocus} current={searchText} onSearch={onSearch} />
      <Space size="small" className="topbar-actions">
        <Button type="text" onClick={onHelp} aria-label={t.shortcuts} title={t.shortcutsHelp}>
          ?
        </Button>
        {wide && <LanguageSwitch />}
        <Dropdown
          trigger={['click']}
          menu={{
            items: [
              { key: 'who', label: `${t.signedInAs}: ${user.address}`, disabled: true },
              { key: 'settings', label: t.settings, onClick: onSettings },
              { key: 'logout', label: t.logout, onClick: () => void logout() },
            ],
          }}
        >
          <Button type="text" aria-label={`${t.signedInAs}: ${user.name || user.address}`} data-testid="user-menu">
            {wide ? user.name || user.address : <span aria-hidden="true">⚙</span>}
          </Button>
        </Dropdown>
      </Space>
    </Layout.Header>
  );
}
