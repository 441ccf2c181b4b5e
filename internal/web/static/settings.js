// «Справочники»: journals (heads and admins) and organizations (admins) are read and
// written through the API, so its checks stay the only ones; users are plain forms.
'use strict';
(() => {
  const { api, problem, el, pageData: page } = window.Orders;
  const $ = (id) => document.getElementById(id);
  const year = new Date().getFullYear();

  // ---- journals ----
  const orgSel = $('j-org');
  const orgQuery = () => (page.admin && orgSel ? '?organization=' + encodeURIComponent(orgSel.value) : '');
  let journals = [];
  async function loadJournals() {
    const box = $('journal-list');
    const r = await api('GET', '/api/v1/journals' + orgQuery());
    if (!r.ok) { box.textContent = 'Журналы не загружены: ' + (await problem(r)).detail; return; }
    journals = (await r.json()).journals || [];
    if (!journals.length) { box.replaceChildren(el('p', { class: 'muted' }, 'Журналов пока нет: без журнала приказ не зарегистрировать.')); return; }
    box.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { class: 'list cards' },
      el('thead', {}, el('tr', {}, ['Название', 'Код', 'Формат', `Следующий номер в ${year}`, ''].map((h, i) => el('th', { scope: 'col' }, i === 4 ? el('span', { class: 'sr' }, 'Изменить') : h)))),
      el('tbody', {}, journals.map((j) => {
        const y = (j.years || []).find((x) => x.year === year);
        return el('tr', {},
          el('td', { 'data-label': 'Название' }, j.name),
          el('td', { 'data-label': 'Код' }, j.id),
          el('td', { 'data-label': 'Формат' }, j.format),
          el('td', { 'data-label': 'Следующий номер' }, String(y ? y.next : 1)),
          el('td', {}, el('button', { type: 'button', class: 'btn btn-sm', onclick: () => editJournal(j) }, el('span', { 'aria-hidden': 'true' }, 'Изменить'), el('span', { class: 'sr' }, 'Изменить журнал «' + j.name + '»'))));
      })))));
  }
  function editJournal(j) {
    $('j-id').value = j.id;
    $('j-id').readOnly = true;
    $('j-name').value = j.name;
    $('j-format').value = j.format;
    $('j-start').value = '';
    $('j-name').focus();
  }
  $('journal-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = $('journal-error');
    err.textContent = '';
    $('journal-done').textContent = '';
    const id = $('j-id').value.trim();
    if (!id) { err.textContent = 'Код: не заполнен.'; $('j-id').focus(); return; }
    const body = { name: $('j-name').value.trim(), format: $('j-format').value.trim() };
    if ($('j-start').value) body.starts = { [String(year)]: Number($('j-start').value) };
    const r = await api('PUT', '/api/v1/journals/' + encodeURIComponent(id) + orgQuery(), body);
    if (!r.ok) {
      const p = await problem(r);
      err.textContent = 'Не сохранено: ' + (p.errors.length ? p.errors.map((x) => `${x.path}: ${Orders.ru(x.message)}`).join('; ') : p.detail);
      return;
    }
    $('journal-done').textContent = `Журнал «${body.name}» сохранён.`;
    $('journal-form').reset();
    $('j-id').readOnly = false;
    loadJournals();
  });
  if (orgSel) orgSel.addEventListener('change', loadJournals);
  loadJournals();

  // ---- organizations (admins) ----
  if (!page.admin) return;
  const fields = ['name', 'short_name', 'address', 'phone', 'email', 'site'];
  async function loadOrgs() {
    const box = $('org-list');
    const r = await api('GET', '/api/v1/organizations');
    if (!r.ok) { box.textContent = 'Организации не загружены: ' + (await problem(r)).detail; return; }
    const list = (await r.json()).organizations || [];
    box.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { class: 'list cards' },
      el('thead', {}, el('tr', {}, ['Название', 'Код', 'Адрес', 'Эмблема и бланк', ''].map((h, i) => el('th', { scope: 'col' }, i === 4 ? el('span', { class: 'sr' }, 'Изменить') : h)))),
      el('tbody', {}, list.map((o) => el('tr', {},
        el('td', { 'data-label': 'Название' }, o.name),
        el('td', { 'data-label': 'Код' }, o.id),
        el('td', { 'data-label': 'Адрес' }, (o.letterhead && o.letterhead.address) || ''),
        el('td', { 'data-label': 'Эмблема и бланк' }, [o.emblem ? 'эмблема' : '', o.custom_letterhead ? 'свой бланк Word' : ''].filter(Boolean).join(', ') || '—'),
        el('td', {}, el('button', { type: 'button', class: 'btn btn-sm', onclick: () => editOrg(o) }, el('span', { 'aria-hidden': 'true' }, 'Изменить'), el('span', { class: 'sr' }, 'Изменить организацию «' + o.name + '»')))))))));
  }
  let editing = null;
  function editOrg(o) {
    editing = o;
    $('o-id').value = o.id;
    $('o-id').readOnly = true;
    const l = o.letterhead || {};
    for (const f of fields) $('o-' + (f === 'short_name' ? 'short' : f)).value = l[f] || '';
    $('o-parents').value = (l.parents || []).join('\n');
    $('o-name').focus();
  }
  $('org-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = $('org-error');
    err.textContent = '';
    $('org-done').textContent = '';
    const id = $('o-id').value.trim();
    if (!id) { err.textContent = 'Код: не заполнен.'; $('o-id').focus(); return; }
    // Fields the form has no place for (fax, layout …) stay as they were.
    const body = Object.assign({}, editing && editing.id === id ? editing.letterhead : {});
    for (const f of fields) {
      const v = $('o-' + (f === 'short_name' ? 'short' : f)).value.trim();
      if (v) body[f] = v; else delete body[f];
    }
    const parents = $('o-parents').value.split('\n').map((x) => x.trim()).filter(Boolean);
    if (parents.length) body.parents = parents; else delete body.parents;
    const r = await api('PUT', '/api/v1/organizations/' + encodeURIComponent(id), body);
    if (!r.ok) {
      const p = await problem(r);
      err.textContent = 'Не сохранено: ' + (p.errors.length ? p.errors.map((x) => `${x.path}: ${Orders.ru(x.message)}`).join('; ') : p.detail);
      return;
    }
    $('org-done').textContent = `Организация «${body.name}» сохранена.`;
    $('org-form').reset();
    $('o-id').readOnly = false;
    editing = null;
    loadOrgs();
  });
  loadOrgs();

  // ---- emblem and Word letterhead (admins) ----
  const filesOrg = $('f-org');
  const docxType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  const fileRules = {
    emblem: { input: 'f-emblem', what: 'Эмблема', max: 256 << 10,
      type: (f) => (/\.jpe?g$/i.test(f.name) || f.type === 'image/jpeg' ? 'image/jpeg' : 'image/png') },
    letterhead: { input: 'f-letterhead', what: 'Бланк', max: 2 << 20, type: () => docxType },
  };
  async function loadFiles() {
    const box = $('files-state');
    if (!filesOrg || !filesOrg.value) { box.textContent = ''; return; }
    const r = await api('GET', '/api/v1/organizations/' + encodeURIComponent(filesOrg.value));
    if (!r.ok) { box.textContent = 'Не загружено: ' + (await problem(r)).detail; return; }
    const o = await r.json();
    const parts = [el('span', {}, o.emblem ? 'Эмблема: загружена. ' : 'Эмблема: нет. '),
      el('span', {}, o.custom_letterhead ? 'Бланк Word: свой.' : 'Бланк Word: встроенный.')];
    if (o.emblem) {
      parts.unshift(el('img', { src: '/api/v1/organizations/' + encodeURIComponent(o.id) + '/emblem?v=' + Date.now(),
        alt: 'Эмблема организации «' + o.name + '»', height: '60', class: 'org-emblem' }), ' ');
    }
    box.replaceChildren(...parts);
  }
  async function sendFile(kind, remove) {
    const rule = fileRules[kind];
    const err = $('files-error');
    err.textContent = '';
    $('files-done').textContent = '';
    const path = '/api/v1/organizations/' + encodeURIComponent(filesOrg.value) + '/' + kind;
    let r;
    if (remove) {
      r = await api('DELETE', path);
    } else {
      const file = $(rule.input).files[0];
      if (!file) { err.textContent = rule.what + ': выберите файл.'; $(rule.input).focus(); return; }
      if (file.size > rule.max) { err.textContent = `${rule.what}: файл ${Math.ceil(file.size / 1024)} КБ, допускается не более ${rule.max >> 10} КБ.`; return; }
      r = await api('PUT', path, file, { 'Content-Type': rule.type(file) });
    }
    if (!r.ok) { err.textContent = 'Не сохранено: ' + (await problem(r)).detail; return; }
    $('files-done').textContent = rule.what + (remove ? ': убрано.' : ': сохранено.');
    $(rule.input).value = '';
    loadFiles();
    loadOrgs();
  }
  if (filesOrg) {
    $('emblem-upload').addEventListener('click', () => sendFile('emblem', false));
    $('emblem-remove').addEventListener('click', () => sendFile('emblem', true));
    $('letterhead-upload').addEventListener('click', () => sendFile('letterhead', false));
    $('letterhead-remove').addEventListener('click', () => sendFile('letterhead', true));
    filesOrg.addEventListener('change', loadFiles);
    loadFiles();
  }
})();
