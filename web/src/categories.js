// Incident categories, from data/categories.csv (bundled when the app is built): code, names in
// Chinese and English, major class, whether the public sees its incidents (`visibility`: `counts`
// shows them as statistics only, and residents are not offered them), and the deadline in hours
// (the `deadline_hours` column, or `deadline` written as 2h, 4wh, 3wd, … with a working day
// counted as 24 hours) for the overdue estimate used when the store has no deadlines of its own.
import csvText from '../../data/categories.csv';
import { currentLang } from './i18n.js';

function parseCsvLine(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function deadlineHours(row) {
  if (row.deadline_hours) return Number(row.deadline_hours);
  const m = /^(\d+(?:\.\d+)?)\s*(wd|wh|d|h|min)$/.exec((row.deadline ?? '').trim());
  if (!m) return null;
  const n = Number(m[1]);
  return { wd: 24, d: 24, wh: 1, h: 1, min: 1 / 60 }[m[2]] * n;
}

export const CATEGORIES = (() => {
  const lines = csvText.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = parseCsvLine(lines[0]).map((h) => h.trim());
  return lines.slice(1).map((line) => {
    const cells = parseCsvLine(line);
    const row = Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? '').trim()]));
    return { code: row.code, zh: row.name_zh, en: row.name_en, cls: row.class, hours: deadlineHours(row), isPublic: (row.visibility || 'public') === 'public' };
  });
})();

const byCode = new Map(CATEGORIES.map((c) => [c.code, c]));

/// The category's name in the current language (its code when unknown).
export function categoryName(code) {
  const c = byCode.get(code);
  if (!c) return code ?? '';
  return currentLang() === 'en' ? c.en || c.zh : c.zh || c.en;
}

/// The major classes in file order, each with its categories.
export function categoryClasses() {
  const classes = new Map();
  for (const c of CATEGORIES) {
    if (!classes.has(c.cls)) classes.set(c.cls, []);
    classes.get(c.cls).push(c);
  }
  return [...classes.entries()].map(([name, items]) => ({ name, items }));
}
