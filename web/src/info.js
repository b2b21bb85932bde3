// The attribute panel: a feature's fields as the interface names and words them (categories,
// states, levels, flags, times), and the panel showing them with its note and buttons; for an
// incident, with its handling section (incident.js renders it).
import { app } from './app.js';
import { categoryName } from './categories.js';
import { $, el } from './dom.js';
import { currentLang, formatNumber, formatTime, has, t } from './i18n.js';

// The routing reason in the interface's language (the server words it in English and Chinese).
export function reasonText(reason) {
  if (!reason || typeof reason !== 'object') return null;
  return (currentLang() === 'zh' && reason.text_zh) || reason.text || null;
}

const HIDDEN_FIELDS = new Set(['extra', 'lon', 'lat', 'cluster']);
const FLAG_NAMES = ['rental', 'elderly_alone', 'migrants', 'person_of_concern', 'low_income', 'disability'];

export function fieldValue(key, v) {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
  if (key === 'category') return `${categoryName(v)} (${v})`;
  if (key === 'status' && has(`status.${v}`)) return t(`status.${v}`);
  if (key === 'level' && has(`level.${v}`)) return t(`level.${v}`);
  if (key === 'risk' && has(`risk.${v}`)) return t(`risk.${v}`);
  if (key === 'join_kind' && has(`join.${v}`)) return t(`join.${v}`);
  if (key === 'role' && has(`workerRole.${v}`)) return t(`workerRole.${v}`);
  if (key === 'flags') {
    const names = FLAG_NAMES.filter((_, i) => v & (1 << i)).map((n) => t(`flag.${n}`));
    return names.length ? names.join('、') : '–';
  }
  if (key === 'dispatch_reason') return typeof v === 'object' ? (reasonText(v) ?? '–') : String(v);
  if (/_at$|^deadline$/.test(key)) return formatTime(v);
  if (key === 'area_m2' || key === 'join_distance_m') return formatNumber(v, key === 'join_distance_m' ? 1 : 0);
  return String(v);
}

// The incident's handling section (incident.js's renderDispatch, set by setDispatchRenderer: this
// module does not import incident.js, which imports it).
let renderDispatch = () => {};
export function setDispatchRenderer(render) {
  renderDispatch = render;
}

// The incident fields shown in the handling section rather than in the attribute table.
const DISPATCH_FIELDS = new Set(['status', 'assignee', 'agency', 'level', 'deadline', 'overdue', 'dispatch_reason']);

/// The attribute panel. `note`: [i18n key, params]; `dispatch`: an incident, with its handling
/// section; `incident`: {etag, history} of its record once loaded with the token, else null;
/// `title`: the panel's title (a county layer's), else the layer's name in the interface.
export function showInfo(layerKey, props, opts = {}) {
  const { note = null, actions = [], dispatch = false, incident = null, title = null } = opts;
  $('info').hidden = false;
  $('info-title').textContent = title ?? t(`layer.${layerKey}`);
  $('info-note').textContent = note ? t(...note) : '';
  $('info-table').replaceChildren(
    ...Object.entries(props)
      .filter(([k]) => !HIDDEN_FIELDS.has(k) && !(dispatch && DISPATCH_FIELDS.has(k)))
      .map(([k, v]) => el('tr', { dataset: { field: k } }, el('th', { text: has(`field.${k}`) ? t(`field.${k}`) : k }), el('td', { text: fieldValue(k, v) }))),
  );
  $('info-actions').replaceChildren(...actions);
  $('info-dispatch').hidden = !dispatch;
  app.info = { layer: layerKey, props, opts };
  if (dispatch) renderDispatch(props, incident);
}
