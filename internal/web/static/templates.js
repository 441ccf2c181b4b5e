// «Шаблоны»: the list of the organization's templates and the shipped ones with a form for a
// new one (from an order or from scratch), and one template's page: its text, mode and
// constants saved as a new version over the one read (base_version; a 409 means someone saved
// meanwhile), its fields, versions and deletion. Everything goes through /api/v1/templates.
'use strict';
(() => {
  const { api, problem, el, put, pageData: page, ruDateTime, actorName } = window.Orders;
  const $ = (id) => document.getElementById(id);
  const orgSel = $('t-org');
  if (orgSel && page.org) orgSel.value = page.org;
  const orgQuery = (sep) => (orgSel && orgSel.value ? sep + 'organization=' + encodeURIComponent(orgSel.value) : '');
  const modeRu = { per_row: 'приказ на каждую строку', one_order: 'один приказ' };
  const who = (t) => (t.created_by ? actorName(t.created_by) : '');

  // showProblems puts each of the API's problems at its field (data-path), the rest above
  // the button; the first field with a problem gets the focus.
  function showProblems(form, p) {
    form.querySelectorAll('[data-path]').forEach((e) => { e.textContent = ''; });
    const general = [];
    let first = null;
    for (const e of p.errors || []) {
      const root = (e.path || '').split(/[.[]/)[0];
      // A path inside the draft (clauses[0].text) is a problem of the template's text.
      const at = form.querySelector(`[data-path="${root}"]`) || (e.path && form.querySelector('[data-path="body"]'));
      const text = (e.path && e.path !== root ? e.path + ': ' : '') + e.message;
      if (at) {
        at.textContent = (at.textContent ? at.textContent + '; ' : '') + text;
        first = first || at;
      } else general.push((e.path ? e.path + ': ' : '') + e.message);
    }
    $('t-error').textContent = [p.status === 409 ? 'Шаблон успел сохранить кто-то другой. ' + p.detail : (p.errors || []).length ? '' : p.detail, ...general].filter(Boolean).join(' ');
    if (first) {
      const input = first.closest('.field') && first.closest('.field').querySelector('input, textarea');
      if (input) input.focus();
    }
  }
  function clearProblems(form) {
    form.querySelectorAll('[data-path]').forEach((e) => { e.textContent = ''; });
    $('t-error').textContent = '';
  }

  // ---- the list ----
  async function loadList() {
    const box = $('t-list');
    const r = await api('GET', '/api/v1/templates' + orgQuery('?'));
    if (!r.ok) { put(box, el('p', { class: 'err' }, (await problem(r)).detail)); return; }
    const list = (await r.json()).templates || [];
    if (!list.length) { put(box, el('p', { class: 'muted' }, 'Шаблонов пока нет.')); return; }
    put(box, el('div', { class: 'table-wrap' }, el('table', { class: 'list cards' },
      el('thead', {}, el('tr', {}, ['Шаблон', 'Режим', 'Версия', 'Сохранил', 'Когда'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, list.map((t) => el('tr', { 'data-name': t.name },
        // One child: the phone's card layout puts each child of a cell in its own column.
        el('td', { 'data-label': 'Шаблон', class: 'title-cell' }, el('div', {}, el('a', { href: '/templates/' + encodeURIComponent(t.name) + orgQuery('?') }, t.title || t.name),
          el('div', { class: 'muted small' }, t.name + (t.format === 'docx' ? ' · файл Word' : '')))),
        el('td', { 'data-label': 'Режим' }, modeRu[t.mode] || t.mode),
        el('td', { 'data-label': 'Версия' }, t.builtin ? 'поставляется с системой' : String(t.version)),
        el('td', { 'data-label': 'Сохранил' }, who(t) || '—'),
        el('td', { 'data-label': 'Когда' }, t.created_at ? ruDateTime(t.created_at) : '—')))))));
  }

  // orderID takes an order's address or its identifier.
  const orderID = (v) => { const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(v); return m ? m[1] : v.trim(); };

  function listPage() {
    loadList();
    if (orgSel) orgSel.addEventListener('change', loadList);
    const form = $('t-new');
    if (!form) return;
    if (page.fromOrder) $('t-name').focus();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearProblems(form);
      const body = { name: $('t-name').value.trim(), title: $('t-title').value.trim(), mode: form.querySelector('input[name=t-mode]:checked').value };
      const from = $('t-from').value.trim();
      if (from) body.from_order = orderID(from);
      else if ($('t-body').value.trim()) {
        try { body.body = JSON.parse($('t-body').value); } catch (err) {
          $('t-body-err').textContent = 'не JSON: ' + err.message;
          $('t-body').focus();
          return;
        }
      }
      const r = await api('POST', '/api/v1/templates' + orgQuery('?'), body);
      if (r.status === 201) { location.href = '/templates/' + encodeURIComponent(body.name) + orgQuery('?'); return; }
      showProblems(form, await problem(r));
    });
  }

  // ---- one template ----
  const constsText = (c) => Object.entries(c || {}).map(([k, v]) => `${k} = ${v}`).join('\n');
  // readConsts reads «поле = значение» lines; a line without «=» is a problem at its line.
  function readConsts(text) {
    const out = {};
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (!line) continue;
      const at = line.indexOf('=');
      if (at < 1) return { error: `строка ${i + 1}: нет «=» между полем и значением` };
      out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    return { consts: out };
  }
  const caseRu = { род: 'родительный', дат: 'дательный', вин: 'винительный', твор: 'творительный', пред: 'предложный' };
  const kindRu = { text: 'текст', date: 'дата', person: 'лицо', number: 'число' };

  function templatePage() {
    const name = page.name;
    const form = $('t-edit');
    let current = null;
    async function load() {
      const r = await api('GET', `/api/v1/templates/${encodeURIComponent(name)}` + orgQuery('?'));
      if (!r.ok) { $('t-meta').textContent = (await problem(r)).detail; return; }
      current = await r.json();
      $('t-heading').textContent = current.title || name;
      $('t-meta').textContent = current.builtin
        ? `${name} · поставляется с системой: сохранение сделает версию 1 вашей организации`
        : `${name} · версия ${current.version}` + (who(current) ? `, сохранил ${who(current)}` : '') + (current.created_at ? `, ${ruDateTime(current.created_at)}` : '');
      $('t-title').value = current.title || '';
      const radio = form.querySelector(`input[name=t-mode][value="${current.mode}"]`);
      if (radio) radio.checked = true;
      $('t-body').value = current.format === 'docx' ? '' : JSON.stringify(current.body, null, 2);
      if (current.format === 'docx') { $('t-body').readOnly = true; $('t-body').value = 'Файл Word: заменяется через API (PUT /api/v1/templates/' + name + ' с docx).'; }
      $('t-consts').value = constsText(current.constants);
      if ($('t-delete')) $('t-delete').hidden = !!current.builtin;
      drawFields(current.fields || []);
      loadVersions();
    }
    function drawFields(fields) {
      if (!fields.length) { put($('t-fields'), el('p', { class: 'muted' }, 'Полей нет.')); return; }
      put($('t-fields'), el('ul', { class: 'plain-list' }, fields.map((f) => el('li', {},
        el('strong', {}, `{${f.name}}`), ' — ', kindRu[f.kind] || f.kind,
        f.required ? ', обязательное' : ', может быть пустым',
        f.column ? ', графа файла' : ', одно значение на пакет',
        (f.cases || []).length ? ', падеж: ' + f.cases.map((c) => caseRu[c] || c).join(', ') : ''))));
    }
    async function loadVersions() {
      const r = await api('GET', `/api/v1/templates/${encodeURIComponent(name)}/versions` + orgQuery('?'));
      if (!r.ok) { put($('t-versions'), el('p', { class: 'muted' }, current && current.builtin ? 'Сохранённых версий нет.' : (await problem(r)).detail)); return; }
      const list = (await r.json()).versions || [];
      if (!list.length) { put($('t-versions'), el('p', { class: 'muted' }, 'Сохранённых версий нет.')); return; }
      put($('t-versions'), el('ul', { class: 'plain-list' }, list.slice().sort((a, b) => b.version - a.version).map((v) => el('li', {},
        `версия ${v.version}`, who(v) ? ` — ${who(v)}` : '', v.created_at ? `, ${ruDateTime(v.created_at)}` : ''))));
    }
    load();
    if (orgSel) orgSel.addEventListener('change', load);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!current || !$('t-save')) return;
      clearProblems(form);
      $('t-done').textContent = '';
      const c = readConsts($('t-consts').value);
      if (c.error) { $('t-consts-err').textContent = c.error; $('t-consts').focus(); return; }
      let body;
      try { body = JSON.parse($('t-body').value); } catch (err) {
        $('t-body-err').textContent = 'не JSON: ' + err.message;
        $('t-body').focus();
        return;
      }
      const r = await api('PUT', `/api/v1/templates/${encodeURIComponent(name)}` + orgQuery('?'), {
        title: $('t-title').value.trim(), mode: form.querySelector('input[name=t-mode]:checked').value,
        body, constants: c.consts, base_version: current.builtin ? 0 : current.version,
      });
      if (!r.ok) { showProblems(form, await problem(r)); return; }
      const saved = await r.json();
      await load();
      $('t-done').textContent = `Сохранено: версия ${saved.version}.`;
    });
    if ($('t-delete')) {
      $('t-delete').addEventListener('click', async () => {
        if (!confirm(`Удалить шаблон «${current.title || name}» со всеми версиями? Выпущенные по нему приказы останутся.`)) return;
        const r = await api('DELETE', `/api/v1/templates/${encodeURIComponent(name)}` + orgQuery('?'));
        if (r.status === 204) { location.href = '/templates' + orgQuery('?'); return; }
        showProblems(form, await problem(r));
      });
    }
  }

  if (page.name) templatePage(); else listPage();
})();
