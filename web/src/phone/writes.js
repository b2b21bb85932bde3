// The writes both phone pages queue (outbox.js): a report (POST /incidents) and a photo
// (POST /incidents/{id}/media), each safe to send again after an answer that never came.
import { ApiError } from '../api.js';
import { send } from './phone.js';

/// A report: {incident} (201), {ticket} (202: it waits in the centre's intake queue), or the
/// incident an earlier try stored (409 conflict_duplicate on its client `id`), {already: true}.
export async function performReport(item) {
  try {
    const r = await send('/incidents', { method: 'POST', json: item.body });
    if (r.status === 202) return { ticket: r.data?.ticket?.id ?? r.data?.ticket ?? r.data?.id ?? Number(/(\d+)$/.exec(r.location ?? '')?.[1]) };
    return { incident: r.data };
  } catch (e) {
    if (e instanceof ApiError && e.status === 409 && e.code === 'conflict_duplicate') {
      const fid = Number(/incident (\d+)/.exec(e.message)?.[1]);
      return { incident: fid ? { id: fid } : null, already: true };
    }
    throw e;
  }
}

const sameSize = (m, item) => (m.width === item.width && m.height === item.height) || (m.width === item.height && m.height === item.width);

/// A photo of an incident: after a try that got no answer, the incident's photos are read first,
/// and one of the same kind and size that was not there before (`known`) is this one.
export async function performMedia(item) {
  if (!item.incident) throw new ApiError(409, '事件尚未建立');
  if (item.uncertain) {
    const current = (await send(`/incidents/${item.incident}`)).data;
    const there = (current.media ?? []).find((m) => m.kind === item.kind && !item.known.includes(m.id) && sameSize(m, item));
    if (there) return { media: there, already: true };
  }
  const r = await send(`/incidents/${item.incident}/media`, { method: 'POST', params: { kind: item.kind }, body: item.blob, contentType: item.contentType });
  return { media: r.data };
}

/// After a photo is sent: the later photos of that incident know it.
export function photoSent(outbox, item, result) {
  if (!result.media?.id) return;
  for (const i of outbox.items()) if (i.type === 'media' && i.incident === item.incident) i.known.push(result.media.id);
}

/// After a report is sent: its photos get the incident, or are dropped when it waits as a ticket
/// (a photo joins an incident, and a ticket is none yet). Resolves the message to show.
export async function reportSent(outbox, item, result) {
  const photos = outbox.items().filter((i) => i.type === 'media' && i.report === item.body.id);
  if (result.ticket) {
    for (const p of photos) await outbox.drop(p, '反映正在等待指挥中心受理，受理后可在“我的反映”中补充照片');
    return `已提交，等待指挥中心受理（受理单 ${result.ticket}）`;
  }
  if (!result.incident?.id) {
    for (const p of photos) await outbox.drop(p, '找不到已提交的事件');
    return '已提交';
  }
  for (const p of photos) {
    Object.assign(p, { incident: result.incident.id, known: [] });
    await outbox.save(p);
  }
  return `已提交，事件编号 ${result.incident.id}`;
}

/// The outbox items of a report and its photos: a report with its photos forms a group (a refused
/// report drops them).
export function reportItems(body, photos, label) {
  const group = photos.length ? body.id : undefined;
  return [
    { type: 'report', group, body, label },
    ...photos.map((photo, k) => ({
      type: 'media', group, report: body.id, kind: 'report', known: [], blob: photo.blob, contentType: photo.type, width: photo.width, height: photo.height,
      label: `${label}的照片${photos.length > 1 ? ` ${k + 1}` : ''}`,
    })),
  ];
}
