// An incident's panel and its handling in the closed loop (README "Dispatch"): the incident's
// record opened as the server shows it to the user, its state, assignment and history, and the
// actions the user's role may take on it, sent with the ETag of the version shown.
import { request, token } from './api.js';
import { app, toMap, track } from './app.js';
import { $, el } from './dom.js';
import { OPEN } from './filters.js';
import { formatTime, has, t } from './i18n.js';
import { fieldValue, reasonText, setDispatchRenderer, showInfo } from './info.js';

// Every incident layer and figure loaded again after an action (main.js's refresh).
let refresh = async () => {};

/// Connects the panel: `refresh` reloads the incident layers and figures after an action.
export function setupIncidentPanel(options) {
  refresh = options.refresh;
  setDispatchRenderer(renderDispatch);
}

// The states each action applies to (layers/dispatch/workflow.hpp); escalate: any open state.
const ACTION_FROM = {
  dispatch: ['reported', 'dispatched', 'returned', 'escalated', 'reopened'],
  accept: ['dispatched'],
  start: ['accepted'],
  resolve: ['accepted', 'in_progress'],
  return: ['dispatched', 'accepted'],
  verify: ['resolved'],
  close: ['verified'],
  reopen: ['resolved', 'verified', 'closed'],
  escalate: OPEN,
};

/// The actions offered on an incident: those the user's role allows that apply to its state.
/// Scope and 报办分离 are the server's to judge (a 403 with its reason).
function offeredActions(status) {
  const allowed = new Set(app.me?.actions ?? []);
  return Object.keys(ACTION_FROM).filter((a) => allowed.has(a) && ACTION_FROM[a].includes(status));
}

const actionName = (a) => (has(`action.${a}`) ? t(`action.${a}`) : a);
const actorName = (id) => (id === 'system' ? t('role.system') : id);

function renderDispatch(props, incident) {
  // The fields the answer holds (the assignee is not the public's: no empty row for it).
  const row = (k, cls) => (k in props ? el('tr', { dataset: { field: k } }, el('th', { text: t(`field.${k}`) }), el('td', { class: cls, text: fieldValue(k, props[k]) })) : null);
  $('dispatch-summary').replaceChildren(
    ...[row('status'), row('assignee'), row('agency'), row('level'), row('deadline'), row('overdue', props.overdue ? 'overdue' : null)].filter(Boolean),
  );
  const reason = reasonText(props.dispatch_reason);
  $('dispatch-reason').textContent = reason ? t('dispatch.reason', { text: reason }) : '';
  const msg = app.dispatchMessage?.id === props.id ? app.dispatchMessage : null;
  const message = $('dispatch-message');
  message.classList.toggle('error', !!msg?.error);
  if (!incident) {
    // Not signed in, outside the user's area (or still loading): the state only.
    $('dispatch-act').hidden = true;
    $('dispatch-history').replaceChildren();
    $('dispatch-history').previousElementSibling.hidden = true;
    message.textContent = token() ? '' : t('info.dispatchSignIn');
    return;
  }
  const offered = offeredActions(props.status);
  $('dispatch-act').hidden = false;
  $('dispatch-actions').replaceChildren(
    ...(offered.length
      ? offered.map((a) => el('button', { type: 'button', class: 'primary', dataset: { action: a }, text: actionName(a), onclick: () => act(a) }))
      : [el('span', { class: 'hint', text: t('dispatch.none') })]),
  );
  $('dispatch-note').hidden = offered.length === 0;
  message.textContent = msg ? t(msg.key, { ...msg.params, action: actionName(msg.params.action) }) : '';
  $('dispatch-history').previousElementSibling.hidden = false;
  $('dispatch-history').replaceChildren(
    ...(incident.history.length
      ? incident.history.map((e) =>
          el(
            'li',
            { dataset: { seq: e.seq, action: e.action, actor: e.actor, to: e.to } },
            el('span', { class: 'when', text: formatTime(e.at) }),
            ' ',
            el('b', { text: actionName(e.action) }),
            ` · ${actorName(e.actor)}`,
            e.from && e.from !== e.to ? ` · ${fieldValue('status', e.from)} → ${fieldValue('status', e.to)}` : e.to ? ` · ${fieldValue('status', e.to)}` : '',
            e.note ? el('div', { class: 'note', text: e.note }) : null,
          ),
        )
      : [el('li', { class: 'hint', text: t('dispatch.historyEmpty') })]),
  );
}

function setDispatchMessage(id, key, params = {}, error = false) {
  app.dispatchMessage = { id, key, params, error };
  if (app.info?.props?.id === id && !$('info').hidden) renderDispatch(app.info.props, app.info.opts.incident);
}

/// Performs `action` on the open incident: POST /incidents/{id}/actions with the ETag of the
/// version shown (If-Match), then the panel and the incident layers reload at once.
async function act(action) {
  const { props, opts } = app.info;
  const id = props.id;
  const note = $('dispatch-note').value.trim();
  if (action === 'return' && !note) return setDispatchMessage(id, 'dispatch.noteRequired', {}, true);
  for (const b of document.querySelectorAll('#dispatch-actions button')) b.disabled = true;
  app.pending++;
  let reload = false;
  try {
    const headers = opts.incident?.etag ? { 'If-Match': opts.incident.etag } : {};
    await request(`/incidents/${id}/actions`, { method: 'POST', body: { action, note }, headers });
    $('dispatch-note').value = '';
    setDispatchMessage(id, 'dispatch.done', { action });
    reload = true;
  } catch (e) {
    // A 409 (the incident changed meanwhile, or the action no longer applies): its current state.
    const key = e.status === 409 ? 'dispatch.conflict' : e.status === 403 ? 'dispatch.forbidden' : 'dispatch.failed';
    setDispatchMessage(id, key, { msg: e.message ?? String(e) }, true);
    if (e.status === 409) await openIncident(id, { fly: false, keepMessage: true });
    else for (const b of document.querySelectorAll('#dispatch-actions button')) b.disabled = false;
  } finally {
    app.pending--;
  }
  if (reload) await Promise.all([openIncident(id, { fly: false, keepMessage: true }), refresh()]);
}

/// Opens incident `id`'s panel from its record (with its ETag), as the server shows it to the
/// user: in detail with its handling history to staff of its area (and to its reporter), its
/// public fields to everyone else; `fly` moves the map to it.
export async function openIncident(id, { fly = true, keepMessage = false } = {}) {
  if (!keepMessage) app.dispatchMessage = null;
  if (app.info?.props?.id !== id || app.info.layer !== 'incidents' || $('info').hidden)
    showInfo('incidents', { id }, { note: ['info.loading'], dispatch: true });
  await track(async () => {
    const { data, etag } = await request(`/incidents/${id}`, { withETag: true });
    // The history comes with the detail: its absence says the answer is the public summary.
    const { history, ...props } = data;
    const incident = history ? { etag, history } : null;
    const note = incident ? 'info.detail' : token() ? 'info.summary' : 'info.publicOnly';
    if (fly) app.map.easeTo({ center: toMap([props.lon, props.lat]), zoom: Math.max(app.map.getZoom(), 15) });
    if (app.info?.props?.id === id) showInfo('incidents', props, { note: [note], dispatch: true, incident });
  });
}
