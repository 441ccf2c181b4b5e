// The order page's approval route (согласование) and draft versions: who was asked and what
// they answered, the form to send a draft to approvers, the visa form for the person whose
// answer is due, and the word diff between two versions. Every rule is the API's.
'use strict';
(() => {
  const { api, problem, el, put, pageData: page, ruDateTime, actorName } = window.Orders;
  const base = `/api/v1/orders/${page.id}`;
  const $ = (id) => document.getElementById(id);
  const decisionRu = { approved: 'Согласовано', approved_with_remarks: 'Согласовано с замечаниями', rejected: 'Не согласовано' };
  const modeRu = { sequential: 'по очереди', parallel: 'одновременно' };

  function errorsText(p) {
    return p.errors.length ? p.errors.map((e) => `${e.path}: ${e.message}`).join('; ') : p.detail;
  }

  function routeTable(r) {
    return el('div', { class: 'table-wrap' }, el('table', { class: 'list cards', 'data-testid': 'visas' },
      el('thead', {}, el('tr', {}, ['№', 'Должность', 'Согласующий', 'Решение', 'Замечания', 'Дата'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, r.visas.map((v) => el('tr', { 'data-login': v.login },
        el('td', { 'data-label': '№' }, String(v.step)),
        el('td', { 'data-label': 'Должность' }, v.position),
        el('td', { 'data-label': 'Согласующий' }, v.name),
        el('td', { 'data-label': 'Решение' }, v.decision_text || (v.due ? 'ждёт ответа' : '—')),
        el('td', { 'data-label': 'Замечания' }, v.remark || ''),
        el('td', { 'data-label': 'Дата' }, v.decided_at ? ruDateTime(v.decided_at) : ''))))));
  }

  // visaForm is shown to the person whose visa the route waits for.
  function visaForm() {
    const remark = el('textarea', { id: 'visa-remark', rows: 3, placeholder: 'Замечания (обязательны при замечаниях и при несогласии)' });
    const msg = el('div', { class: 'err', role: 'alert', id: 'visa-msg' });
    const answer = async (decision) => {
      msg.textContent = '';
      const r = await api('POST', base + '/approval/visa', { decision, remark: remark.value });
      if (r.ok) { load(); return; }
      msg.textContent = 'Ответ не записан: ' + errorsText(await problem(r));
    };
    return el('div', { class: 'action-block', id: 'visa-form' },
      el('h3', {}, 'Ваша виза'),
      el('div', { class: 'field' }, el('label', { for: 'visa-remark' }, 'Замечания'), remark),
      el('div', { class: 'inline-form' },
        el('button', { type: 'button', class: 'btn btn-primary', id: 'visa-approve', onclick: () => answer('approved') }, 'Согласовано'),
        el('button', { type: 'button', class: 'btn', id: 'visa-remarks', onclick: () => answer('approved_with_remarks') }, 'Согласовано с замечаниями'),
        el('button', { type: 'button', class: 'btn btn-danger', id: 'visa-reject', onclick: () => answer('rejected') }, 'Не согласовано')),
      msg);
  }

  // sendForm sends the current version to approvers; a returned route's approvers are filled in.
  function sendForm(last) {
    const rows = el('div', { id: 'approver-rows' });
    const addRow = (login = '', position = '') => {
      const n = rows.children.length;
      rows.append(el('div', { class: 'inline-form approver' },
        el('div', { class: 'field' }, el('label', { for: `approver-login-${n}` }, `Согласующий ${n + 1}: логин`),
          el('input', { id: `approver-login-${n}`, name: 'login', value: login, autocomplete: 'off' })),
        el('div', { class: 'field' }, el('label', { for: `approver-position-${n}` }, 'Должность'),
          el('input', { id: `approver-position-${n}`, name: 'position', value: position }))));
    };
    if (last && last.visas.length) last.visas.forEach((v) => addRow(v.login, v.position));
    else addRow();
    const mode = el('select', { id: 'approval-mode' },
      el('option', { value: 'sequential' }, 'по очереди'), el('option', { value: 'parallel' }, 'одновременно'));
    if (last) mode.value = last.mode;
    const msg = el('div', { class: 'err', role: 'alert', id: 'send-msg' });
    const send = async () => {
      msg.textContent = '';
      const approvers = [...rows.querySelectorAll('.approver')].map((r) => ({
        login: r.querySelector('[name=login]').value.trim(), position: r.querySelector('[name=position]').value.trim() }))
        .filter((a) => a.login || a.position);
      const r = await api('POST', base + '/approval', { mode: mode.value, approvers });
      if (r.ok) { load(); return; }
      msg.textContent = 'Не отправлено: ' + errorsText(await problem(r));
    };
    return el('div', { class: 'action-block', id: 'send-form' },
      el('h3', {}, last ? 'Отправить новую версию на согласование' : 'Отправить на согласование'),
      rows,
      el('div', { class: 'inline-form' },
        el('button', { type: 'button', class: 'btn', onclick: () => addRow() }, 'Добавить согласующего'),
        el('div', { class: 'field' }, el('label', { for: 'approval-mode' }, 'Порядок'), mode),
        el('button', { type: 'button', class: 'btn btn-primary', id: 'send-approval', onclick: send }, 'Отправить')),
      msg);
  }

  async function load() {
    const box = $('approval');
    if (!box) return;
    const [rr, pr, or, vr] = await Promise.all([api('GET', base + '/approval'), api('GET', '/api/v1/approvals/pending'), api('GET', base),
      api('GET', base + '/versions')]);
    if (!rr.ok || !or.ok) { box.textContent = 'Согласование недоступно.'; return; }
    const versions = vr.ok ? ((await vr.json()).versions || []) : [];
    const current = versions.length ? versions[versions.length - 1].version : 1;
    const routes = (await rr.json()).routes || [];
    const pending = pr.ok ? ((await pr.json()).pending || []) : [];
    const ord = await or.json();
    const last = routes[0];
    const parts = [];
    if (last) {
      parts.push(el('p', {}, el('span', { class: `badge route-${last.status}`, id: 'route-status', 'data-status': last.status }, last.status_text),
        ` Круг ${last.round}, версия ${last.version}, ${modeRu[last.mode] || last.mode}; отправил ${actorName(last.author)} ${ruDateTime(last.created_at)}.`));
      parts.push(routeTable(last));
      if (ord.state === 'draft' && last.status === 'approved' && last.version !== current) {
        parts.push(el('p', { class: 'alert alert-error', id: 'stale-note' },
          `Согласована версия ${last.version}, а текущая — ${current}: изменённый текст нужно согласовать снова.`));
      }
      if (routes.length > 1) {
        parts.push(el('details', {}, el('summary', {}, `Прежние круги согласования (${routes.length - 1})`),
          routes.slice(1).map((r) => el('div', {}, el('p', {}, `Круг ${r.round}, версия ${r.version}: ${r.status_text}`), routeTable(r)))));
      }
    } else {
      parts.push(el('p', { class: 'muted' }, 'Проект ещё не отправлялся на согласование.'));
    }
    if (last && last.status === 'in_progress' && page.canEdit) {
      const msg = el('div', { class: 'err', role: 'alert' });
      const withdraw = async () => {
        if (!confirm('Отозвать проект с согласования? Данные визы сохранятся, маршрут придётся начать заново.')) return;
        const r = await api('POST', base + '/approval/withdraw');
        if (r.ok) { load(); return; }
        msg.textContent = 'Не отозван: ' + (await problem(r)).detail;
      };
      parts.push(el('div', { class: 'alert', id: 'locked-note' },
        'Проект на согласовании: изменить или удалить его можно, когда согласующие ответят или после отзыва. ',
        el('button', { type: 'button', class: 'btn', id: 'withdraw-approval', onclick: withdraw }, 'Отозвать с согласования'), msg));
    }
    if (pending.some((p) => p.order_id === page.id)) parts.push(visaForm());
    if (page.canEdit && ord.state === 'draft' && (!last || last.status !== 'in_progress')) parts.push(sendForm(last));
    put(box, parts);
    loadVersions();
  }

  async function loadVersions() {
    const box = $('versions');
    if (!box) return;
    const r = await api('GET', base + '/versions');
    if (!r.ok) { box.textContent = 'Версии недоступны.'; return; }
    const list = (await r.json()).versions || [];
    const pick = (id, sel) => el('select', { id }, list.map((v) => el('option', { value: v.version, selected: v.version === sel }, `версия ${v.version}`)));
    const from = pick('diff-from', list.length > 1 ? list[list.length - 2].version : 1);
    const to = pick('diff-to', list[list.length - 1].version);
    const out = el('div', { id: 'diff', class: 'diff', 'data-testid': 'diff' });
    const show = async () => {
      const d = await api('GET', `${base}/diff?from=${from.value}&to=${to.value}`);
      if (!d.ok) { out.textContent = 'Сравнение недоступно: ' + (await problem(d)).detail; return; }
      const chunks = (await d.json()).chunks || [];
      put(out, chunks.map((c) => c.op === 'insert' ? el('ins', {}, c.text) : c.op === 'delete' ? el('del', {}, c.text) : el('span', {}, c.text)).flatMap((n) => [n, ' ']));
    };
    put(box,
      el('div', { class: 'table-wrap' }, el('table', { class: 'list cards', 'data-testid': 'version-list' },
        el('thead', {}, el('tr', {}, ['Версия', 'Кто', 'Когда'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, list.map((v) => el('tr', {},
          el('td', { 'data-label': 'Версия' }, String(v.version)),
          el('td', { 'data-label': 'Кто', title: v.author || '' }, actorName(v.author) || '—'),
          el('td', { 'data-label': 'Когда' }, ruDateTime(v.created_at))))))),
      list.length > 1 ? el('div', { class: 'inline-form' },
        el('div', { class: 'field' }, el('label', { for: 'diff-from' }, 'Сравнить'), from),
        el('div', { class: 'field' }, el('label', { for: 'diff-to' }, 'с'), to),
        el('button', { type: 'button', class: 'btn', id: 'diff-show', onclick: show }, 'Показать разницу')) : null,
      out);
    if (list.length > 1) show();
  }

  load();
})();
