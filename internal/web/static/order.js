// The order page: its status is polled until the documents are made; heads register, sign
// and cancel here; acknowledgements, signatures and the audit trail come from the API.
'use strict';
(() => {
  const { api, problem, el, put, pageData: page, ruDate, ruDateTime, todayMoscow, stateRu, statusRu, actorName } = window.Orders;
  const base = `/api/v1/orders/${page.id}`;
  const $ = (id) => document.getElementById(id);
  let order = null;
  let pollDelay = 700;

  function setBadge(node, cls, value, text) {
    node.className = `badge ${cls}-${value}`;
    node.dataset[cls] = value;
    node.textContent = text;
  }

  async function refresh() {
    const r = await api('GET', base);
    if (!r.ok) return;
    order = await r.json();
    setBadge($('state'), 'state', order.state, stateRu[order.state] || order.state);
    setBadge($('status'), 'status', order.status, statusRu[order.status] || order.status);
    const err = $('status-error');
    err.hidden = !order.error;
    err.textContent = order.error ? 'Документ не сформирован: ' + order.error : '';
    $('number').textContent = order.number ? '№ ' + order.number : 'будет присвоен при регистрации';
    $('date').textContent = order.date ? ruDate(order.date) : '—';
    const kind = order.kind.charAt(0).toUpperCase() + order.kind.slice(1);
    if (order.number) $('order-title').textContent = `${kind} № ${order.number}${order.date ? ' от ' + ruDate(order.date) : ''}`;
    drawFacts();
    drawCancelled(kind);
    drawDocs();
    drawEditActions();
    drawActions();
    if (order.status === 'queued' || order.status === 'rendering') {
      setTimeout(refresh, pollDelay);
      pollDelay = Math.min(pollDelay * 1.5, 5000);
    } else {
      pollDelay = 700;
    }
  }

  // «Сведения» follow a registration or a signature without a reload.
  function drawFacts() {
    const fact = (id, value) => {
      $(id).hidden = $(id + '-dt').hidden = !value;
      $(id).textContent = value || '';
    };
    fact('journal', order.journal ? journalName(order.journal) : '');
    fact('signatory', order.signatory);
    if ($('registered-at')) fact('registered-at', order.imported ? '' : ruDateTime(order.registered_at));
    fact('signed-at', ruDateTime(order.signed_at));
  }
  const journalName = (id) => (page.journals || {})[id] || id;

  const kindWithNumber = () => `${order.kind} № ${order.number}${order.date ? ' от ' + ruDate(order.date) : ''}`;

  // A cancelled order says so at the top of its page, as its working copy does.
  function drawCancelled(kind) {
    const at = order.cancelled_at;
    const banner = $('cancelled-banner');
    banner.hidden = $('cancelled').hidden = $('cancelled-dt').hidden = !at;
    if (!at) return;
    const who = order.cancelled_by ? ` (${actorName(order.cancelled_by)})` : '';
    banner.replaceChildren(el('strong', {}, `${kind} ${order.kind === 'приказ' ? 'отменён' : 'отменено'}`),
      ` ${ruDateTime(at)}${who}. Причина: ${order.cancel_reason}`);
    $('cancelled').textContent = `${ruDateTime(at)}${order.cancelled_by ? ', ' + actorName(order.cancelled_by) : ''}: ${order.cancel_reason}`;
  }

  function drawDocs() {
    const box = $('docs');
    const d = order.documents || {};
    const ready = order.status === 'rendered';
    const links = [];
    if (ready && d.pdf) links.push(el('a', { class: 'btn', href: d.pdf.url, 'data-doc': 'pdf', download: '' }, 'Скачать PDF'), ' ');
    if (ready && d.docx) links.push(el('a', { class: 'btn', href: d.docx.url, 'data-doc': 'docx', download: '' }, 'Скачать DOCX'), ' ');
    if (d.signed_pdf) links.push(el('a', { class: 'btn btn-primary', href: d.signed_pdf.url, 'data-doc': 'signed', download: '' }, 'Подписанный PDF'), ' ');
    const printable = d.signed_pdf || (ready && d.pdf);
    if (printable) links.push(el('button', { type: 'button', class: 'btn', id: 'print-btn', onclick: () => printPDF(printable.url) }, 'Печать'));
    if (!links.length) {
      const wait = order.status === 'failed' ? 'Документы не сформированы.' : 'Документы появятся здесь, когда будут сформированы. Страница обновится сама.';
      links.push(el('p', { class: 'muted', id: 'docs-wait' }, wait));
    }
    if (ready && d.pdf) links.push(el('p', { class: 'small muted' }, `PDF: ${(d.pdf.size / 1024).toFixed(0)} КБ, SHA-256 ${d.pdf.sha256.slice(0, 16)}…`));
    box.replaceChildren(...links);
  }

  // printPDF prints the PDF itself, not this page: the document is loaded into a hidden
  // frame from a blob (the download answers as an attachment) and that frame is printed.
  async function printPDF(url) {
    const btn = $('print-btn');
    btn.disabled = true;
    try {
      const r = await api('GET', url);
      if (!r.ok) { alert('Не удалось загрузить документ для печати: ' + (await problem(r)).detail); return; }
      const blob = new Blob([await r.arrayBuffer()], { type: 'application/pdf' });
      let frame = $('print-frame');
      if (frame) { URL.revokeObjectURL(frame.src); frame.remove(); }
      frame = el('iframe', { id: 'print-frame', title: 'Документ для печати', class: 'print-frame', 'aria-hidden': 'true', tabindex: '-1' });
      frame.addEventListener('load', () => { try { frame.contentWindow.focus(); frame.contentWindow.print(); } catch (_) { window.open(frame.src); } });
      frame.src = URL.createObjectURL(blob);
      frame.dataset.type = blob.type;
      document.body.append(frame);
    } finally {
      btn.disabled = false;
    }
  }

  function drawEditActions() {
    const box = $('edit-actions');
    const items = [];
    if (page.canEdit && order.state === 'draft') {
      items.push(el('a', { class: 'btn', href: `/orders/${page.id}/edit` }, 'Изменить'));
      items.push(el('button', { type: 'button', class: 'btn btn-danger', onclick: remove }, 'Удалить проект'));
    }
    // An imported order has no text to copy: only its number, date and title are known.
    if (page.canEdit && !order.imported) items.push(el('a', { class: 'btn', href: `/orders/new?copy=${page.id}` }, 'Создать копию'));
    if (page.canEdit && order.status === 'failed') items.push(el('button', { type: 'button', class: 'btn', onclick: rerender }, 'Сформировать заново'));
    box.replaceChildren(...items);
  }

  async function remove() {
    if (!confirm('Удалить проект приказа? Это нельзя отменить.')) return;
    const r = await api('DELETE', base);
    if (r.status === 204) location.href = '/orders';
    else alert('Не удалено: ' + (await problem(r)).detail);
  }
  async function rerender() {
    const r = await api('POST', base + '/rerender');
    if (!r.ok) alert('Не удалось: ' + (await problem(r)).detail);
    refresh();
  }

  // ---- head's actions ----
  function msgBox() { return el('div', { class: 'err', role: 'alert' }); }
  function fieldEl(label, id, input) {
    input.id = id;
    return el('div', { class: 'field' }, el('label', { for: id }, label), input);
  }

  async function registerBlock() {
    const sel = el('select', {}, el('option', { value: '' }, 'загрузка…'));
    const date = el('input', { type: 'date', value: todayMoscow() });
    const msg = msgBox();
    const btn = el('button', { type: 'button', class: 'btn btn-primary', id: 'register-btn' }, 'Зарегистрировать');
    btn.addEventListener('click', async () => {
      msg.textContent = '';
      if (!sel.value) { msg.textContent = 'Выберите журнал регистрации.'; sel.focus(); return; }
      if (!date.value) { msg.textContent = 'Укажите дату приказа.'; date.focus(); return; }
      const name = sel.selectedOptions[0] ? sel.selectedOptions[0].dataset.name : sel.value;
      if (!confirm(`Присвоить номер в журнале «${name}» с датой ${ruDate(date.value)}? ` +
        'После регистрации текст приказа изменить нельзя; документы будут сформированы заново с номером и датой.')) return;
      btn.disabled = true;
      const r = await api('POST', base + '/register', { journal: sel.value, date: date.value });
      btn.disabled = false;
      if (r.ok) { pollDelay = 700; refresh(); loadAudit(); return; }
      const p = await problem(r);
      msg.textContent = 'Не зарегистрирован: ' + (p.errors.length ? p.errors.map((e) => Orders.ru(e.message)).join('; ') : p.detail);
    });
    const q = page.adminCall ? '?organization=' + encodeURIComponent(page.orgID) : '';
    api('GET', '/api/v1/journals' + q).then(async (r) => {
      const j = r.ok ? await r.json() : { journals: [] };
      const list = j.journals || [];
      sel.replaceChildren(...(list.length ? list.map((x) => el('option', { value: x.id, 'data-name': x.name }, `${x.name} (${x.format})`))
        : [el('option', { value: '' }, 'журналов нет')]));
      if (!list.length) msg.textContent = 'У организации нет журналов регистрации: их заводит руководитель на странице «Справочники».';
    });
    return el('div', { class: 'action-block' },
      el('h3', {}, 'Регистрация'),
      el('p', { class: 'small muted' }, 'Приказ получит следующий номер журнала и дату; текст после этого не меняется.'),
      el('div', { class: 'inline-form' }, fieldEl('Журнал', 'reg-journal', sel), fieldEl('Дата приказа', 'reg-date', date), btn),
      msg);
  }

  function signBlock() {
    const msg = msgBox();
    const btn = el('button', { type: 'button', class: 'btn btn-primary', id: 'sign-btn' }, 'Подписать');
    btn.addEventListener('click', async () => {
      msg.textContent = '';
      if (!confirm(`Подписать ${kindWithNumber()} электронной подписью организации? ` +
        'В PDF появится отметка об электронной подписи; подписанный документ изменить нельзя, только отменить.')) return;
      btn.disabled = true;
      btn.textContent = 'Подписание…';
      const r = await api('POST', base + '/sign');
      btn.disabled = false;
      btn.textContent = 'Подписать';
      if (r.ok) { refresh(); loadSignatures(); loadAudit(); return; }
      msg.textContent = 'Не подписан: ' + (await problem(r)).detail;
    });
    const file = el('input', { type: 'file', accept: '.pdf,.sig,.p7s,application/pdf' });
    const up = el('button', { type: 'button', class: 'btn' }, 'Загрузить подпись');
    up.addEventListener('click', async () => {
      msg.textContent = '';
      const f = file.files[0];
      if (!f) { msg.textContent = 'Выберите файл: подписанный PDF или открепленную подпись (.sig).'; return; }
      const fd = new FormData();
      fd.append(/\.pdf$/i.test(f.name) ? 'pdf' : 'sig', f);
      const r = await api('POST', base + '/signatures', fd);
      if (r.ok) { file.value = ''; refresh(); loadSignatures(); loadAudit(); return; }
      msg.textContent = 'Подпись не принята: ' + (await problem(r)).detail;
    });
    return el('div', { class: 'action-block' },
      el('h3', {}, 'Подписание'),
      el('p', { class: 'small muted' }, 'Электронная подпись организации ставится на сервере, с отметкой о подписи в месте подписи. Или загрузите подпись, сделанную в другой программе.'),
      el('div', { class: 'inline-form' }, btn, fieldEl('Файл подписи', 'sig-file', file), up),
      msg);
  }

  function cancelBlock() {
    const reason = el('textarea', { rows: 2, placeholder: 'например: издан в новой редакции' });
    const msg = msgBox();
    const btn = el('button', { type: 'button', class: 'btn btn-danger', id: 'cancel-btn' }, 'Отменить приказ');
    btn.addEventListener('click', async () => {
      msg.textContent = '';
      if (!reason.value.trim()) { msg.textContent = 'Укажите причину отмены.'; reason.focus(); return; }
      if (!confirm(`Отменить ${kindWithNumber()}? Номер останется за ним; в рабочей копии появится отметка «ОТМЕНЁН» с причиной, подписанный PDF не изменится.`)) return;
      const r = await api('POST', base + '/cancel', { reason: reason.value.trim() });
      if (r.ok) { refresh(); loadAudit(); return; }
      msg.textContent = 'Не отменён: ' + (await problem(r)).detail;
    });
    return el('div', { class: 'action-block' }, el('h3', {}, 'Отмена'),
      el('div', { class: 'inline-form' }, fieldEl('Причина отмены', 'cancel-reason', reason), btn), msg);
  }

  let drawnFor = '';
  async function drawActions() {
    if (drawnFor === order.state) return; // keep what the user typed while status is polled
    const first = drawnFor === '';
    drawnFor = order.state;
    if (!first) loadAcks(); // who may record acknowledgements depends on the state
    // Each block only for a role the API allows it (auth.Can, sent by the page).
    const blocks = [];
    if (page.canRegister && order.state === 'draft') blocks.push(await registerBlock());
    // The service signs what it rendered; an imported order's document is its upload.
    if (page.canSign && order.state === 'registered' && !order.imported) blocks.push(signBlock());
    if (page.canCancel && (order.state === 'registered' || order.state === 'signed')) blocks.push(cancelBlock());
    $('actions').hidden = !blocks.length;
    $('actions-body').replaceChildren(...blocks);
  }

  // ---- acknowledgements ----
  async function loadAcks() {
    const box = $('acks');
    if (!box) return;
    const r = await api('GET', base + '/acknowledgements');
    if (!r.ok) { box.textContent = 'Не загружено.'; return; }
    const a = await r.json();
    const canRecord = page.canAck && order && (order.state === 'registered' || order.state === 'signed');
    const rows = [];
    (a.read || []).forEach((x) => rows.push(el('tr', {}, el('td', { 'data-label': 'Кто' }, x.person), el('td', { 'data-label': 'Ознакомлен' }, ruDate(x.date)), el('td', { 'data-label': 'Отметил' }, actorName(x.recorded_by)))));
    (a.pending || []).forEach((name, i) => {
      let cell = el('span', { class: 'muted' }, 'ещё не ознакомлен');
      if (canRecord) {
        const date = el('input', { type: 'date', value: todayMoscow(), id: 'ack-date-' + i, 'aria-label': `Дата ознакомления: ${name}` });
        const b = el('button', { type: 'button', class: 'btn btn-sm' }, 'Отметить');
        b.addEventListener('click', async () => {
          const rr = await api('POST', base + '/acknowledgements', { person: name, date: date.value });
          if (rr.ok) { loadAcks(); loadAudit(); refresh(); } else alert('Не отмечено: ' + (await problem(rr)).detail);
        });
        cell = el('span', { class: 'inline-form' }, date, b);
      }
      rows.push(el('tr', {}, el('td', { 'data-label': 'Кто' }, name), el('td', { 'data-label': 'Ознакомлен' }, cell), el('td', { 'data-label': 'Отметил' }, '')));
    });
    put(box, el('div', { class: 'table-wrap' }, el('table', { class: 'list cards' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Кто'), el('th', {}, 'Ознакомлен'), el('th', {}, 'Отметил'))),
      el('tbody', {}, rows))),
    !canRecord && (a.pending || []).length ? el('p', { class: 'small muted' }, 'Ознакомление отмечается после регистрации приказа.') : null);
  }

  // ---- signatures and their check ----
  const capitalize = (t) => t.charAt(0).toUpperCase() + t.slice(1);
  const sigKinds = { server: 'подпись на сервере', 'external-pdf': 'подписанный PDF', 'detached-cms': 'открепленная подпись' };
  async function loadSignatures() {
    const r = await api('GET', base + '/signatures');
    const box = $('signatures');
    if (!r.ok) { box.textContent = 'Не загружено.'; return; }
    const list = (await r.json()).signatures || [];
    if (!list.length) { box.replaceChildren(el('p', { class: 'muted' }, 'Подписей нет.')); return; }
    box.replaceChildren(...list.map((s) => {
      // The server words the verdict: green only when the signature is valid and its
      // certificate leads to a trusted root; a valid signature with an unchecked or
      // untrusted certificate is never shown as plainly «действительна».
      const trusted = s.verified === 'valid' && s.trust === 'trusted';
      const verdict = capitalize(s.verdict || 'подпись не проверена');
      const why = (s.verified || '').replace(/^(not verified|invalid):\s*/, '');
      const trustWhy = (s.trust || '').replace(/^(not checked|untrusted):\s*/, '');
      return el('div', { class: 'action-block', 'data-testid': 'signature' },
        el('p', {}, el('span', { class: 'badge ' + (trusted ? 'state-signed' : 'status-queued') }, verdict)),
        el('dl', { class: 'facts' },
          el('dt', {}, 'Вид'), el('dd', {}, sigKinds[s.kind] || s.kind),
          s.verified !== 'valid' ? [el('dt', {}, 'Почему'), el('dd', {}, why)] : null,
          s.verified === 'valid' && s.trust !== 'trusted' ? [el('dt', {}, 'Сертификат'), el('dd', {}, 'не проверен: ' + trustWhy)] : null,
          el('dt', {}, 'Владелец'), el('dd', {}, s.signer || '—'),
          el('dt', {}, 'Серийный номер'), el('dd', {}, s.serial || '—'),
          s.valid_from ? [el('dt', {}, 'Действителен'), el('dd', {}, `с ${ruDateTime(s.valid_from)} по ${ruDateTime(s.valid_to)}`)] : null,
          el('dt', {}, 'Получена'), el('dd', {}, ruDateTime(s.created_at)),
          el('dt', {}, 'SHA-256'), el('dd', { class: 'small' }, (s.sha256 || '').slice(0, 32) + '…')));
    }));
  }

  // ---- audit trail ----
  const actionsRu = { register: 'регистрация', sign: 'подписание', 'sign-external': 'подпись загружена (PDF)', 'add-signature': 'подпись добавлена',
    cancel: 'отмена', import: 'импорт из бумажного архива', acknowledge: 'ознакомление', 'download-signed': 'скачан подписанный PDF', export: 'выгрузка', create: 'создание', update: 'изменение',
    'approval-start': 'отправлен на согласование', 'approval-withdraw': 'отозван с согласования', visa: 'виза', 'draft-version': 'новая версия проекта' };
  function detailsText(d) {
    if (!d || typeof d !== 'object') return '';
    const parts = [];
    if (d.number) parts.push('№ ' + d.number);
    if (d.date) parts.push(ruDate(d.date));
    if (d.journal) parts.push(`журнал «${journalName(d.journal)}»`);
    if (d.person) parts.push(d.person);
    if (d.reason) parts.push('причина: ' + d.reason);
    if (d.owner) parts.push(d.owner);
    if (d.verified) parts.push(d.verified === 'valid' ? 'подпись верна' : d.verified);
    if (d.trust) parts.push(d.trust === 'trusted' ? 'сертификат доверенный' : 'сертификат не проверен');
    if (d.sha256) parts.push('SHA-256 ' + d.sha256.slice(0, 12) + '…');
    if (d.version && !d.approvers && !d.decision) parts.push('версия ' + d.version);
    if (d.approvers) parts.push('согласующие: ' + d.approvers.join(', ') + ', версия ' + d.version);
    if (d.decision) parts.push(({ approved: 'согласовано', approved_with_remarks: 'согласовано с замечаниями', rejected: 'не согласовано' })[d.decision] + (d.remark ? ': ' + d.remark : ''));
    return parts.join(', ');
  }
  async function loadAudit() {
    const r = await api('GET', base + '/audit');
    const box = $('audit');
    if (!r.ok) { box.textContent = 'Журнал недоступен.'; return; }
    const list = (await r.json()).entries || [];
    if (!list.length) { box.replaceChildren(el('p', { class: 'muted' }, 'Записей пока нет: они появляются при регистрации, подписании, отмене и ознакомлении.')); return; }
    box.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { class: 'list cards' },
      el('thead', {}, el('tr', {}, ['№', 'Когда', 'Кто', 'Действие', 'Подробности'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, list.map((e) => el('tr', {},
        el('td', { 'data-label': '№' }, String(e.seq)),
        el('td', { 'data-label': 'Когда' }, ruDateTime(e.at)),
        el('td', { 'data-label': 'Кто', title: e.actor }, actorName(e.actor)),
        el('td', { 'data-label': 'Действие' }, actionsRu[e.action] || e.action),
        el('td', { 'data-label': 'Подробности' }, detailsText(e.details))))))));
  }

  refresh().then(loadAcks);
  loadSignatures();
  loadAudit();
})();
