// «Архив»: searches GET /api/v1/archive, shows a table sorted by the server (over all the
// matches, not the rows on the screen), pages with the API's cursor and builds the export
// link for the same conditions.
'use strict';
(() => {
  const { api, problem, el, pageData: page, ruDate, stateRu } = window.Orders;
  const form = document.getElementById('search');
  const results = document.getElementById('results');
  const status = document.getElementById('archive-status');
  const prevBtn = document.getElementById('prev');
  const nextBtn = document.getElementById('next');
  const exportBox = document.getElementById('export-box');
  const exportLink = document.getElementById('export');
  const exportHint = document.getElementById('export-hint');
  const LIMIT = 25;

  const orgSel = document.getElementById('a-org');
  if (page.fixedOrg) {
    const o = (page.orgs || [])[0];
    orgSel.append(el('option', { value: page.fixedOrg }, o ? o.name : page.fixedOrg));
  } else {
    orgSel.append(el('option', { value: '' }, 'все'), ...(page.orgs || []).map((o) => el('option', { value: o.id }, o.name || o.id)));
  }
  document.getElementById('a-state').append(...(page.states || []).map((s) => el('option', { value: s.Value }, s.Label)));
  exportBox.hidden = !page.canExport;

  const orgName = (id) => ((page.orgs || []).find((o) => o.id === id) || {}).name || id;

  let params = new URLSearchParams();
  let cursors = ['']; // cursors of the pages seen, for «Предыдущие»
  let rows = [];
  let next = '';
  let total = 0;
  // The sort is the form's «Порядок» (on a phone the table has no header to click); the
  // header's buttons set it too.
  const sortSel = document.getElementById('a-sort');
  const sortOf = () => { const v = params.get('sort') || ''; return { key: v.replace(/^-/, ''), dir: v.startsWith('-') ? -1 : 1 }; };

  function formParams() {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v).trim()) p.set(k, String(v).trim());
    if (page.fixedOrg) p.delete('organization'); // the API scopes to the caller's organization anyway
    return p;
  }
  function fillForm(p) {
    for (const e of form.elements) if (e.name && p.has(e.name)) e.value = p.get(e.name);
  }

  async function search(cursor) {
    const p = new URLSearchParams(params);
    p.set('limit', String(LIMIT));
    if (cursor) p.set('cursor', cursor);
    status.textContent = 'Поиск…';
    const r = await api('GET', '/api/v1/archive?' + p.toString());
    if (!r.ok) {
      const pr = await problem(r);
      status.textContent = 'Поиск не выполнен: ' + pr.detail;
      results.replaceChildren();
      return;
    }
    const j = await r.json();
    rows = j.orders || [];
    next = j.next_cursor || '';
    if (!cursor) total = j.total_exceeds ? -1 : (j.total || 0);
    draw();
    const from = (cursors.length - 1) * LIMIT + 1;
    const found = total < 0 ? 'больше 10 000' : String(total);
    // «любое» state lists drafts too; say so, as an archive is expected to hold records only.
    const drafts = params.get('state') ? '' : ' Проекты включены: чтобы их скрыть, выберите состояние.';
    status.textContent = rows.length
      ? `Найдено: ${found}.${total < 0 || rows.length < total || cursor ? ` Показаны ${from}–${from + rows.length - 1}.` : ''}${drafts}`
      : (cursor ? 'Больше ничего не найдено.' : 'Ничего не найдено. Попробуйте другие слова или уберите часть условий.');
    prevBtn.hidden = cursors.length < 2;
    nextBtn.hidden = !next;
    updateExport();
  }

  function sortButton(key, label) {
    const sort = sortOf();
    const state = sort.key === key ? (sort.dir > 0 ? 'ascending' : 'descending') : null;
    return el('th', { scope: 'col', 'aria-sort': state || 'none' },
      el('button', { type: 'button', class: 'sort', 'data-sort': key, 'data-dir': state, title: 'Сортировать по полю «' + label + '»' }, label));
  }
  function draw() {
    if (!rows.length) { results.replaceChildren(); return; }
    const list = rows;
    const showOrg = !page.fixedOrg;
    results.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { class: 'list cards' },
      el('thead', {}, el('tr', {}, sortButton('number', 'Номер'), sortButton('date', 'Дата'), sortButton('title', 'Заголовок'),
        el('th', { scope: 'col' }, 'Вид'), el('th', { scope: 'col' }, 'Состояние'), el('th', { scope: 'col' }, 'Подписант'),
        showOrg ? el('th', { scope: 'col' }, 'Организация') : null, el('th', { scope: 'col' }, 'Документ'))),
      el('tbody', {}, list.map((o) => el('tr', {},
        el('td', { 'data-label': 'Номер' }, o.number ? '№ ' + o.number : el('span', { class: 'muted' }, '—')),
        el('td', { 'data-label': 'Дата' }, o.date ? ruDate(o.date) : el('span', { class: 'muted' }, '—')),
        el('td', { 'data-label': 'Заголовок', class: 'title-cell' }, el('a', { href: '/orders/' + o.id }, o.title || '(без заголовка)')),
        el('td', { 'data-label': 'Вид' }, o.kind),
        el('td', { 'data-label': 'Состояние' }, el('span', { class: 'badge state-' + o.state }, stateRu[o.state] || o.state),
          o.imported ? ' ' : null, o.imported ? el('span', { class: 'badge', 'data-testid': 'imported', title: 'Импортирован из бумажного архива' }, 'импортирован') : null),
        el('td', { 'data-label': 'Подписант' }, o.signatory || ''),
        showOrg ? el('td', { 'data-label': 'Организация' }, orgName(o.organization)) : null,
        el('td', { 'data-label': 'Документ' },
          o.documents && o.documents.signed_pdf ? el('a', { href: o.documents.signed_pdf.url }, 'подписанный PDF')
            : o.documents && o.documents.pdf ? el('a', { href: o.documents.pdf.url }, 'PDF') : el('span', { class: 'muted' }, '—'))))))));
  }
  results.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-sort]');
    if (!b) return;
    const key = b.dataset.sort;
    // A date is looked for newest first; a number or a title from the start.
    const sort = sortOf();
    const dir = sort.key === key ? -sort.dir : (key === 'date' ? -1 : 1);
    sortSel.value = (dir < 0 ? '-' : '') + key;
    params = formParams();
    history.replaceState(null, '', '/archive?' + params.toString());
    cursors = [''];
    search('').then(() => {
      const again = results.querySelector(`button[data-sort="${key}"]`);
      if (again) again.focus();
    });
  });

  function updateExport() {
    const p = new URLSearchParams(params);
    const ok = p.get('date_from') && p.get('date_to');
    p.delete('sort'); // the export is in the registry's order whatever the screen shows
    exportLink.href = ok ? '/api/v1/archive/export?' + p.toString() : '#';
    exportLink.setAttribute('aria-disabled', ok ? 'false' : 'true');
    exportHint.textContent = ok ? `Период: ${ruDate(p.get('date_from'))} — ${ruDate(p.get('date_to'))}. В выгрузку попадают подписанные приказы.` : 'Укажите «Дата с» и «Дата по» и нажмите «Найти».';
  }
  exportLink.addEventListener('click', (e) => { if (exportLink.getAttribute('aria-disabled') === 'true') e.preventDefault(); });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    params = formParams();
    cursors = [''];
    history.replaceState(null, '', '/archive' + (params.toString() ? '?' + params.toString() : ''));
    search('');
  });
  form.addEventListener('reset', () => setTimeout(() => form.requestSubmit(), 0));
  nextBtn.addEventListener('click', () => { cursors.push(next); search(next); });
  prevBtn.addEventListener('click', () => { cursors.pop(); search(cursors[cursors.length - 1]); });

  const initial = new URLSearchParams(location.search);
  fillForm(initial);
  params = formParams();
  search('');
})();
