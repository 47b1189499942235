import { QueryTypes, type Sequelize } from 'sequelize';
import type { Migration } from '../core/db.js';

/**
 * The agency directory (global address list) as the webmail's address book sees it: active mailboxes
 * and lists, found by name, address, position or agency, with or without Vietnamese diacritics —
 * "nguyen van a" finds "Nguyễn Văn A". Read-only.
 *
 * Folding happens on both sides: the query in JS, the rows in SQL with translate(), which needs no
 * extension (unaccent is contrib and not on every managed PostgreSQL) and works whatever the database
 * locale (lower() outside a UTF-8 locale folds ASCII only, so upper-case Vietnamese letters are mapped
 * explicitly). Names are stored NFC (cleanText), so the precomposed letters below are all there is.
 * translate() over 20,000 rows at query time took 0.6 s, so the folded text is a stored generated
 * column, written once per change; a search then scans plain text (measured in the webmail README).
 */
const ACCENTED = 'àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ';
const PLAIN = 'aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd';
const FROM = ACCENTED + ACCENTED.toUpperCase();
const TO = PLAIN + PLAIN;

/** Lower case without diacritics; đ/Đ become d. */
export function foldVietnamese(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
}

const folded = (sql: string) => `lower(translate(${sql}, '${FROM}', '${TO}'))`;

export const galMigrations: Migration[] = [
  {
    name: 'admin-gal-0001-folded-names',
    up: async (db) => {
      await db.query(`
        ALTER TABLE mailboxes ADD COLUMN directory_folded text
          GENERATED ALWAYS AS (${folded("display_name || ' ' || address || ' ' || coalesce(position, '')")}) STORED;
        ALTER TABLE agencies ADD COLUMN directory_folded text GENERATED ALWAYS AS (${folded('name')}) STORED;
        ALTER TABLE lists ADD COLUMN directory_folded text GENERATED ALWAYS AS (${folded("name || ' ' || address")}) STORED;
      `);
    },
  },
];

export interface DirectoryEntry {
  name: string;
  address: string;
  agency: string | null;
  position: string | null;
  kind: 'person' | 'functional' | 'list';
}

/**
 * Up to `limit` entries whose name, address, position or agency contains every word of `q`, names
 * starting with the query first.
 */
export async function searchDirectory(db: Sequelize, q: string, limit = 20): Promise<DirectoryEntry[]> {
  const words = foldVietnamese(q).split(/\s+/).filter(Boolean).slice(0, 6);
  if (!words.length) return [];
  const like = (w: string) => `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const bind: unknown[] = [foldVietnamese(q).trim().replace(/[\\%_]/g, (c) => `\\${c}`) + '%', Math.min(Math.max(limit, 1), 100)];
  const conditions = words.map((w) => {
    bind.push(like(w));
    return `haystack LIKE $${bind.length}`;
  });
  return db.query<DirectoryEntry>(
    `WITH entries AS (
       SELECT m.display_name AS name, m.address, a.name AS agency, m.position,
              CASE m.kind WHEN 'functional' THEN 'functional' ELSE 'person' END AS kind,
              m.directory_folded || ' ' || coalesce(a.directory_folded, '') AS haystack, m.directory_folded AS folded_name
         FROM mailboxes m JOIN domains d ON d.id = m.domain_id LEFT JOIN agencies a ON a.id = m.agency_id
        WHERE m.active AND d.active AND m.archived_at IS NULL
       UNION ALL
       SELECT l.name, l.address, a.name, NULL, 'list', l.directory_folded || ' ' || coalesce(a.directory_folded, ''), l.directory_folded
         FROM lists l JOIN domains d ON d.id = l.domain_id LEFT JOIN agencies a ON a.id = l.agency_id
        WHERE d.active
     )
     SELECT name, address, agency, position, kind FROM entries
      WHERE ${conditions.join(' AND ')}
      ORDER BY (folded_name LIKE $1) DESC, folded_name, address
      LIMIT $2`,
    { bind, type: QueryTypes.SELECT },
  );
}
