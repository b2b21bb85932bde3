// The writes of a phone page (reports, actions, photos) kept on the phone until onemap has them:
// in IndexedDB (photos as Blobs), sent one at a time in the order they were made. Without an
// answer (no network, a lost answer, 5xx, 408, 429) the first item stays and is tried again after
// a pause that doubles from 2 s to a minute, and at once when the phone comes back online; a
// refusal (another 4xx) drops it with the rest of its group (a resolve after its refused photo)
// and leaves a notice; a refused token (401) holds the queue until the user signs in again.
import { ApiError } from '../api.js';
import { el, errorText, isTransient, NetworkError } from './phone.js';

const FIRST_PAUSE = 2000;
const LONGEST_PAUSE = 60000;

const STATE_TEXT = {
  waiting: () => '等待发送',
  sending: () => '发送中…',
  retry: (i) => `未送达（${i.error}），已试 ${i.attempts} 次，${Math.round(i.pause / 1000)} 秒后重试`,
  paused: () => '登录已失效：重新登录后发送',
};

const idb = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

export class Outbox {
  /// `name`: the IndexedDB database (one per page); `perform(item)` sends an item and resolves
  /// what it made, or rejects as send() does; `sent(item, result)` follows each success and
  /// `dropped(item, reason)` each refusal.
  constructor(name, { perform, sent = () => {}, dropped = () => {} }) {
    this.name = name;
    this.perform = perform;
    this.sent = sent;
    this.dropped = dropped;
    this.list = [];
    this.notices = [];
    this.added = 0; // items queued since the page opened (scripts wait for theirs to go)
    this.listeners = new Set();
    this.running = false;
    this.again = false;
    this.timer = null;
    this.db = null;
    this.idle = Promise.resolve();
  }

  async open() {
    const open = indexedDB.open(this.name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('items', { keyPath: 'seq', autoIncrement: true });
    this.db = await idb(open);
    this.list = (await idb(this.store('readonly').getAll())).sort((a, b) => a.seq - b.seq);
    // An item that was being sent when the page closed: its answer never came.
    for (const i of this.list) if (i.state === 'sending') Object.assign(i, { state: 'waiting', uncertain: true });
    try {
      this.notices = JSON.parse(localStorage.getItem(`${this.name}.notices`) ?? '[]');
    } catch {
      this.notices = [];
    }
    window.addEventListener('online', () => this.kick());
    document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && this.kick());
    this.changed();
    this.kick();
  }

  store(mode) {
    return this.db.transaction('items', mode).objectStore('items');
  }

  onChange(f) {
    this.listeners.add(f);
  }

  changed() {
    for (const f of this.listeners) f(this);
  }

  /// The items waiting, in order.
  items() {
    return this.list;
  }

  async add(item) {
    const entry = { ...item, state: 'waiting', attempts: 0 };
    entry.seq = await idb(this.store('readwrite').add(entry));
    this.list.push(entry);
    this.added++;
    this.changed();
    this.kick();
    return entry;
  }

  async save(item) {
    await idb(this.store('readwrite').put(item));
    this.changed();
  }

  async remove(item, { quiet = false } = {}) {
    await idb(this.store('readwrite').delete(item.seq));
    this.list = this.list.filter((i) => i !== item);
    if (!quiet) this.changed();
  }

  /// Drops `item` and the later items of its group, each with a notice saying why.
  async drop(item, reason) {
    const group = item.group ? this.list.filter((i) => i !== item && i.group === item.group) : [];
    await this.remove(item);
    this.notice(item.label, reason);
    this.dropped(item, reason);
    for (const g of group) {
      await this.remove(g);
      this.notice(g.label, '前一步未能完成，未发送');
      this.dropped(g, reason);
    }
  }

  notice(label, reason) {
    this.notices.push({ label, reason });
    this.keepNotices();
  }

  keepNotices() {
    try {
      localStorage.setItem(`${this.name}.notices`, JSON.stringify(this.notices.slice(-20)));
    } catch {
      // storage full or disabled: the notices live as long as the page
    }
    this.changed();
  }

  /// Everything waiting dropped (signing out).
  async clear() {
    await idb(this.store('readwrite').clear());
    this.list = [];
    this.notices = [];
    this.keepNotices();
  }

  /// Sends what waits, now (a pause under way ends).
  kick() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.running) {
      this.again = true;
      return this.idle;
    }
    this.idle = this.run();
    return this.idle;
  }

  async run() {
    this.running = true;
    try {
      do {
        this.again = false;
        while (this.list.length) {
          const head = this.list[0];
          head.state = 'sending';
          this.changed();
          let result;
          try {
            result = await this.perform(head);
          } catch (e) {
            if (isTransient(e)) {
              head.attempts++;
              // No answer: the server may have it already (the next try must find out).
              if (e instanceof NetworkError) head.uncertain = true;
              head.pause = Math.min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** (head.attempts - 1));
              head.state = 'retry';
              head.error = errorText(e);
              await this.save(head);
              this.timer = setTimeout(() => this.kick(), head.pause);
              return;
            }
            if (e instanceof ApiError && e.status === 401) {
              head.state = 'paused';
              await this.save(head);
              return;
            }
            await this.drop(head, errorText(e));
            continue;
          }
          // Gone from the queue and its result applied before the page draws again.
          await this.remove(head, { quiet: true });
          await this.sent(head, result);
          this.changed();
        }
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  /// The queue as a list in `container`, with its notices (each can be dismissed).
  render(container) {
    const items = this.list.map((i) => el('li', { class: `queued ${i.state}`, dataset: { seq: i.seq, state: i.state, type: i.type } }, el('span', { class: 'label', text: i.label }), el('span', { class: 'state', text: STATE_TEXT[i.state]?.(i) ?? i.state })));
    const notices = this.notices.map((n, k) =>
      el('li', { class: 'notice' }, el('span', { class: 'label', text: `${n.label}：未能发送` }), el('span', { class: 'state', text: n.reason }),
        el('button', { type: 'button', class: 'link', text: '知道了', onclick: () => { this.notices.splice(k, 1); this.keepNotices(); } })),
    );
    container.replaceChildren(...items, ...notices);
    container.hidden = items.length + notices.length === 0;
  }
}
