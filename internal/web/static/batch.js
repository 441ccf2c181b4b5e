// «Пакетный выпуск»: shows the first rows of the chosen file, sends template and data to
// POST /api/v1/batches (which checks every row before anything is issued), lists the row
// problems it answers with, and follows the batch's SSE stream with a progress bar.
'use strict';
(() => {
  const { api, problem, el, put, pageData: page, ru, ruDateTime, todayMoscow } = window.Orders;
  const $ = (id) => document.getElementById(id);
  const form = $('batch-form');
  const tplSel = $('b-template');
  const dataInput = $('b-data');
  const msg = $('b-message');
  let columns = null; // headers of the chosen file, when the page could read it
  let source = null;

  // ---- template choice ----
  tplSel.append(...(page.templates || []).map((t) => el('option', { value: t.id }, t.label.replace(/^Шаблон: /, ''))),
    el('option', { value: '' }, 'свой файл шаблона…'));
  tplSel.addEventListener('change', () => { $('b-template-file-field').hidden = tplSel.value !== ''; drawConstants(); });
  const orgQuery = (sep) => (!$('b-org-field').hidden && $('b-org').value ? sep + 'organization=' + encodeURIComponent($('b-org').value) : '');
  // The organization's own templates join the shipped ones; Word templates are filled
  // elsewhere (they give no draft to issue).
  async function loadTemplates() {
    const r = await api('GET', '/api/v1/templates' + orgQuery('?')).catch(() => null);
    if (!r || !r.ok) return;
    const list = ((await r.json()).templates || []).filter((t) => t.format !== 'docx');
    const keep = tplSel.value;
    tplSel.replaceChildren(...list.map((t) => el('option', { value: t.name }, t.title + (t.builtin ? '' : ` (версия ${t.version})`))),
      el('option', { value: '' }, 'свой файл шаблона…'));
    tplSel.value = [...tplSel.options].some((o) => o.value === keep) ? keep : tplSel.options[0].value;
    $('b-template-file-field').hidden = tplSel.value !== '';
    drawConstants();
  }
  $('b-template-file').addEventListener('change', drawConstants);
  if (page.orgs && page.orgs.length) {
    $('b-org-field').hidden = false;
    $('b-org').append(...page.orgs.map((o) => el('option', { value: o.id }, o.name || o.id)));
  }
  if (page.canRegister) {
    $('register').hidden = false;
    $('b-date').value = todayMoscow();
    const q = page.orgs && page.orgs.length ? '?organization=' + encodeURIComponent(page.orgs[0].id) : '';
    api('GET', '/api/v1/journals' + q).then(async (r) => {
      if (!r.ok) return;
      const list = (await r.json()).journals || [];
      $('b-journal').append(...list.map((j) => el('option', { value: j.id }, `${j.name} (${j.format})`)));
    });
  }

  // normName is the batch package's rule for matching a column to a {field}.
  const normName = (s) => s.trim().toLowerCase().replace(/ё/g, 'е').replace(/[\s_]+/g, ' ');
  async function templateText() {
    if (tplSel.value) { const t = (page.templates || []).find((x) => x.id === tplSel.value); return t ? JSON.stringify(t.draft) : ''; }
    const f = $('b-template-file').files[0];
    return f ? f.text() : '';
  }
  // fieldsOf lists the {fields} of the template's texts, as the batch package reads them:
  // only in string values, «{{» and «}}» being literal braces, «{name?}» an optional field.
  function fieldsOf(text) {
    const names = [];
    let tpl;
    try { tpl = JSON.parse(text); } catch (_) { return names; }
    const walk = (v, key) => {
      if (typeof v === 'string') {
        if (key === 'appendix_ref') return; // its {n} belongs to the layout
        v.replace(/\{\{|\}\}|\{([^{}]+)\}/g, (m, name) => {
          if (name) { const n = name.replace(/\?$/, '').trim(); if (n && !names.some((x) => normName(x) === normName(n))) names.push(n); }
          return m;
        });
      } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => walk(x, k));
    };
    walk(tpl, '');
    return names;
  }
  // caseHint says in which case a template puts the value, with the case's question.
  const caseWords = { род: 'родительном', дат: 'дательном', вин: 'винительном', твор: 'творительном', пред: 'предложном' };
  const caseQuestions = { род: 'кого?', дат: 'кому?', вин: 'кого?', твор: 'кем?', пред: 'о ком?' };
  const caseHint = (cases) => (cases || []).filter((c) => caseWords[c]).map((c) => `в ${caseWords[c]} падеже: ${caseQuestions[c]}`).join('; ');
  // A named template's fields come from the server (GET /api/v1/templates/{name}): the
  // ones no column fills are values for the whole batch, prefilled from the template's
  // saved constants; a column field the chosen file lacks may be given here too. A file
  // of one's own is read here, as the batch package reads it.
  let drawn = 0;
  let modeByTemplate = false; // the mode radio was set from a named template, not by a person
  form.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', () => { modeByTemplate = false; }));
  async function drawConstants() {
    const turn = ++drawn;
    const known = new Set((columns || []).map(normName));
    let fields;
    let saved = {};
    $('b-samples').hidden = true;
    if (tplSel.value) {
      const name = encodeURIComponent(tplSel.value);
      const r = await api('GET', `/api/v1/templates/${name}` + orgQuery('?')).catch(() => null);
      if (turn !== drawn) return;
      if (r && r.ok) {
        const t = await r.json();
        if (turn !== drawn) return;
        fields = t.fields || [];
        saved = t.constants || {};
        const radio = form.querySelector(`input[name=mode][value="${t.mode}"]`);
        if (radio && !radio.checked) { radio.checked = true; modeByTemplate = true; }
        const base = `/api/v1/templates/${name}/sample`;
        $('b-sample-csv').href = base + '.csv' + orgQuery('?');
        $('b-sample-xlsx').href = base + '.xlsx' + orgQuery('?');
        $('b-samples').hidden = !fields.some((f) => f.column);
      }
    }
    if (!fields) {
      // A file of one's own says nothing of its mode: back to the default a template changed.
      if (modeByTemplate) { form.querySelector('input[name=mode][value="per_row"]').checked = true; modeByTemplate = false; }
      const names = fieldsOf(await templateText());
      if (turn !== drawn) return;
      fields = names.map((n) => ({ name: n, kind: 'text', required: false, column: true }));
    }
    // A column field is asked here when the chosen file lacks it, or when the template keeps
    // a constant for it and no file column says otherwise.
    const inFile = (f) => columns && known.has(normName(f.name));
    const consts = fields.filter((f) => !f.column || (columns ? !inFile(f) : !tplSel.value || saved[f.name] !== undefined));
    const box = $('constants');
    // What a person typed survives a redraw (a new file, another sheet).
    const typed = {};
    box.querySelectorAll('[data-const]').forEach((i) => { typed[i.dataset.const] = i.value; });
    if (!consts.length) { box.replaceChildren(); return; }
    const anyRequired = consts.some((f) => f.required);
    box.replaceChildren(el('fieldset', { class: 'field plain' },
      el('legend', { class: 'label' }, columns ? 'Значения для всего пакета (этих граф нет в файле)' : 'Значения для всего пакета (если их нет в файле)'),
      anyRequired ? el('p', { class: 'hint' }, el('span', { class: 'req', 'aria-hidden': 'true' }, '*'), ' — обязательное поле') : null,
      el('div', { class: 'extra' }, consts.map((f, i) => {
        const hint = [caseHint(f.cases), tplSel.value && f.column ? 'можно дать графой файла' : ''].filter(Boolean).join('; ');
        const input = el('input', { id: 'const-' + i, 'data-const': f.name, 'data-kind': f.kind, autocomplete: 'off',
          type: f.kind === 'date' ? 'date' : 'text' });
        if (f.required) { input.required = true; input.setAttribute('aria-required', 'true'); }
        if (f.example && f.example !== '…' && f.kind !== 'date') input.placeholder = 'например: ' + f.example;
        if (hint) input.setAttribute('aria-describedby', 'const-hint-' + i);
        const v = typed[f.name] !== undefined && typed[f.name] !== '' ? typed[f.name] : saved[f.name] || '';
        input.value = f.kind === 'date' ? isoDate(v) : v;
        return el('div', { class: 'field' },
          el('label', { for: 'const-' + i }, f.name.replace(/_/g, ' '), f.required ? el('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
          input,
          hint ? el('div', { class: 'hint', id: 'const-hint-' + i, 'data-testid': 'case-hint' }, hint) : null);
      }))));
  }
  // A date field is shown by the browser's date input and sent as the orders write dates.
  const isoDate = (v) => { const m = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(v || ''); return m ? `${m[3]}-${m[2]}-${m[1]}` : v; };
  const ruDate = (v) => { const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v || ''); return m ? `${m[3]}.${m[2]}.${m[1]}` : v; };

  // ---- the first rows of the file, read in the browser ----
  function decodeText(buf) {
    try { return new TextDecoder('utf-8', { fatal: true }).decode(buf).replace(/^\uFEFF/, ''); } catch (_) { return new TextDecoder('windows-1251').decode(buf); }
  }
  function parseCSV(text, limit) {
    const first = text.split('\n', 1)[0];
    const sep = (first.match(/;/g) || []).length >= (first.match(/,/g) || []).length ? ';' : ',';
    const rows = [];
    let row = []; let cell = ''; let q = false;
    for (let i = 0; i < text.length && rows.length < limit; i++) {
      const ch = text[i];
      if (q) { if (ch === '"') { if (text[i + 1] === '"') { cell += '"'; i++; } else q = false; } else cell += ch; }
      else if (ch === '"' && cell === '') q = true;
      else if (ch === sep) { row.push(cell); cell = ''; }
      else if (ch === '\n' || ch === '\r') { if (ch === '\r' && text[i + 1] === '\n') i++; row.push(cell); rows.push(row); row = []; cell = ''; }
      else cell += ch;
    }
    if ((cell || row.length) && rows.length < limit) { row.push(cell); rows.push(row); }
    return rows;
  }
  function countLines(text) { return text.split(/\r\n|\n|\r/).filter((l) => l.trim()).length; }

  // A minimal XLSX reader: the zip's central directory, DecompressionStream for deflate,
  // DOMParser for the sheet. Enough for a preview; the server reads the file for real.
  async function readXLSX(buf, limit) {
    const dv = new DataView(buf);
    let eocd = -1;
    for (let i = buf.byteLength - 22; i >= Math.max(0, buf.byteLength - 65557); i--) if (dv.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
    if (eocd < 0) throw new Error('не zip');
    const files = {};
    let off = dv.getUint32(eocd + 16, true);
    for (let k = dv.getUint16(eocd + 10, true); k > 0; k--) {
      const nameLen = dv.getUint16(off + 28, true);
      const name = new TextDecoder().decode(new Uint8Array(buf, off + 46, nameLen));
      files[name] = { method: dv.getUint16(off + 10, true), size: dv.getUint32(off + 20, true), local: dv.getUint32(off + 42, true) };
      off += 46 + nameLen + dv.getUint16(off + 30, true) + dv.getUint16(off + 32, true);
    }
    async function xml(name) {
      const f = files[name];
      if (!f) return null;
      const start = f.local + 30 + dv.getUint16(f.local + 26, true) + dv.getUint16(f.local + 28, true);
      let data = new Uint8Array(buf, start, f.size);
      if (f.method === 8) data = new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).arrayBuffer());
      return new DOMParser().parseFromString(new TextDecoder().decode(data), 'application/xml');
    }
    const wb = await xml('xl/workbook.xml');
    const rels = await xml('xl/_rels/workbook.xml.rels');
    const sheets = [...wb.getElementsByTagName('sheet')];
    const want = $('b-sheet').value.trim();
    const sheet = sheets.find((s) => s.getAttribute('name') === want) || sheets[0];
    const rid = sheet.getAttribute('r:id') || sheet.getAttributeNS('http://schemas.openxmlformats.org/officeDocument/2006/relationships', 'id');
    const rel = [...rels.getElementsByTagName('Relationship')].find((r) => r.getAttribute('Id') === rid);
    let target = rel.getAttribute('Target').replace(/^\//, '');
    if (!target.startsWith('xl/')) target = 'xl/' + target;
    const ss = await xml('xl/sharedStrings.xml');
    const strings = ss ? [...ss.getElementsByTagName('si')].map((si) => [...si.getElementsByTagName('t')].map((t) => t.textContent).join('')) : [];
    const doc = await xml(target);
    const rows = [];
    let total = 0;
    for (const r of doc.getElementsByTagName('row')) {
      const cells = [];
      for (const c of r.getElementsByTagName('c')) {
        const ref = c.getAttribute('r') || '';
        const letters = ref.replace(/\d+/g, '');
        let col = 0;
        for (const ch of letters) col = col * 26 + ch.charCodeAt(0) - 64;
        const t = c.getAttribute('t');
        const v = c.getElementsByTagName('v')[0];
        let val = v ? v.textContent : '';
        if (t === 's') val = strings[Number(val)] || '';
        if (t === 'inlineStr') val = [...c.getElementsByTagName('t')].map((x) => x.textContent).join('');
        cells[(col || cells.length + 1) - 1] = val;
      }
      if (cells.some((x) => x && x.trim())) { total++; if (rows.length < limit) rows.push(Array.from(cells, (x) => x || '')); }
    }
    return { rows, total, sheets: sheets.map((s) => s.getAttribute('name')) };
  }

  async function showSample() {
    const f = dataInput.files[0];
    const box = $('sample');
    columns = null;
    $('problems-box').hidden = true;
    if (!f) { box.replaceChildren(el('p', { class: 'muted' }, 'Выберите файл — здесь появятся первые строки.')); drawConstants(); return; }
    const isXLSX = /\.xlsx$/i.test(f.name);
    $('b-sheet-field').hidden = !isXLSX;
    let rows = [];
    let total = 0;
    let note = '';
    try {
      const buf = await f.arrayBuffer();
      if (isXLSX) {
        const x = await readXLSX(buf, 11);
        rows = x.rows; total = x.total;
        if (x.sheets.length > 1) note = 'Листы книги: ' + x.sheets.join(', ') + '.';
      } else if (/\.json$/i.test(f.name)) {
        const data = JSON.parse(decodeText(buf));
        const list = Array.isArray(data) ? data : data.rows || [];
        const keys = [...new Set(list.flatMap((o) => Object.keys(o)))];
        rows = [keys, ...list.slice(0, 10).map((o) => keys.map((k) => (o[k] === undefined ? '' : String(o[k]))))];
        total = list.length + 1;
      } else {
        const text = decodeText(buf);
        rows = parseCSV(text, 11);
        total = countLines(text);
      }
    } catch (e) {
      box.replaceChildren(el('p', { class: 'muted' }, 'Файл не удалось показать здесь (' + e.message + '); строки всё равно проверит сервер.'));
      drawConstants();
      return;
    }
    if (!rows.length) { box.replaceChildren(el('p', {}, 'Файл пустой.')); return; }
    columns = rows[0].map((c) => c.trim()).filter(Boolean);
    const width = Math.max(...rows.map((r) => r.length));
    box.replaceChildren(
      el('p', {}, `${f.name}: строк данных — ${Math.max(total - 1, 0)}. Первые строки:`),
      el('div', { class: 'table-wrap' }, el('table', { class: 'list' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Строка'), Array.from({ length: width }, (_, j) => el('th', { scope: 'col' }, rows[0][j] || '')))),
        el('tbody', {}, rows.slice(1).map((r, i) => el('tr', {}, el('td', {}, String(i + 2)), Array.from({ length: width }, (_, j) => el('td', {}, r[j] || ''))))))),
      el('p', { class: 'small muted' }, note));
    drawConstants();
  }
  dataInput.addEventListener('change', showSample);
  $('b-sheet').addEventListener('change', showSample);

  // ---- start ----
  function showRowProblems(list, general) {
    const box = $('row-problems');
    const rows = list.map((p) => el('tr', {},
      el('td', { 'data-label': 'Строка' }, p.line > 0 ? String(p.line) : '—'),
      el('td', { 'data-label': 'Столбец' }, p.column || '—'),
      el('td', { 'data-label': 'Ошибка' }, p.message)));
    const gen = general.map((e) => el('li', {}, (e.path ? e.path + ': ' : '') + ru(e.message)));
    put(box,
      gen.length ? el('ul', {}, gen) : null,
      rows.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'list cards' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Строка'), el('th', { scope: 'col' }, 'Столбец'), el('th', { scope: 'col' }, 'Ошибка'))),
        el('tbody', {}, rows))) : null);
    $('problems-box').hidden = false;
  }

  // showTemplateProblems lists what is wrong with the template, by its {field} and place.
  function showTemplateProblems(list) {
    const place = (p) => (p.path || '').replace(/^template\.?/, '');
    put($('template-problems'), el('ul', {}, list.map((p) => p.field
      ? el('li', {}, el('strong', {}, `{${p.field}}`), ` — ${p.message.replace(/^\{[^{}]*\}: /, '')}` + (place(p) ? ` (${place(p)})` : ''))
      : el('li', {}, (place(p) ? place(p) + ': ' : '') + p.message))));
    $('template-problems-box').hidden = false;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.className = '';
    msg.textContent = '';
    $('problems-box').hidden = true;
    $('template-problems-box').hidden = true;
    const f = dataInput.files[0];
    if (!f) { msg.className = 'err'; msg.textContent = 'Выберите файл данных.'; dataInput.focus(); return; }
    const fd = new FormData();
    if (tplSel.value) fd.append('template_name', tplSel.value);
    else if ($('b-template-file').files[0]) fd.append('template', $('b-template-file').files[0]);
    fd.append('data', f);
    fd.append('mode', form.querySelector('input[name=mode]:checked').value);
    if ($('b-sheet').value.trim()) fd.append('sheet', $('b-sheet').value.trim());
    const consts = {};
    form.querySelectorAll('[data-const]').forEach((i) => { if (i.value.trim()) consts[i.dataset.const] = i.dataset.kind === 'date' ? ruDate(i.value) : i.value.trim(); });
    if (Object.keys(consts).length) fd.append('constants', JSON.stringify(consts));
    if ($('b-valid-only').checked) fd.append('valid_only', 'true');
    if (!$('register').hidden && $('b-journal').value) { fd.append('journal', $('b-journal').value); fd.append('date', $('b-date').value); }
    if (!$('b-org-field').hidden) fd.append('organization', $('b-org').value);
    const btn = $('b-start');
    btn.disabled = true;
    msg.textContent = 'Проверка строк…';
    try {
      const r = await api('POST', '/api/v1/batches', fd);
      if (r.status === 202 || r.status === 200) {
        const b = await r.json();
        msg.className = 'alert alert-ok';
        msg.textContent = (r.status === 200 ? 'Этот пакет уже выпускался: показываю его. ' : 'Пакет принят: ') + `приказов — ${b.total}.` +
          (b.skipped && b.skipped.length ? ` Пропущено строк с ошибками: ${b.skipped_rows ? b.skipped_rows.length : b.skipped.length}.` : '');
        if (b.skipped && b.skipped.length) showRowProblems(b.skipped, []);
        history.pushState(null, '', '/batches/' + b.id);
        follow(b.id);
        loadRecent();
        return;
      }
      let p = {};
      try { p = await r.json(); } catch (_) { /* not JSON */ }
      msg.className = 'err';
      const rp = p.row_problems || [];
      const tp = p.template_problems || [];
      if (tp.length) {
        msg.textContent = `Ошибок в шаблоне: ${tp.length}. Ничего не выпущено.`;
        showTemplateProblems(tp);
        return;
      }
      msg.textContent = rp.length ? `Найдено ошибок в строках: ${rp.length}. Ничего не выпущено.` : 'Пакет не принят: ' + ru(p.detail || String(r.status));
      if (rp.length || (p.errors && p.errors.length)) showRowProblems(rp, p.errors || []);
    } catch (err) {
      msg.className = 'err';
      msg.textContent = 'Пакет не отправлен: ' + err.message;
    } finally {
      btn.disabled = false;
    }
  });

  // ---- progress, fed by the SSE stream ----
  const stateRu = { accepted: 'выпускается', done: 'завершён', cancelled: 'остановлен', failed: 'с ошибками' };
  function drawProgress(id, p, finished) {
    const done = p.finished || 0;
    const pct = p.total ? Math.round((100 * done) / p.total) : 0;
    $('progress-bar').style.width = pct + '%';
    $('progress').setAttribute('aria-valuenow', String(pct));
    $('progress').dataset.done = finished ? 'true' : 'false';
    $('progress-text').textContent = finished
      ? `Готово: ${p.rendered} из ${p.total}` + (p.failed ? `, с ошибкой: ${p.failed}` : '') + (p.cancelled ? `, остановлено: ${p.cancelled}` : '') + '.'
      : `Сформировано ${done} из ${p.total} (${pct} %)…`;
    $('counts').replaceChildren(
      el('span', {}, `в очереди: ${p.queued || 0}`), el('span', {}, `формируется: ${p.rendering || 0}`),
      el('span', {}, `готово: ${p.rendered || 0}`), el('span', {}, `ошибки: ${p.failed || 0}`));
    $('b-cancel').hidden = finished;
    if (finished) {
      const base = `/api/v1/batches/${id}`;
      $('batch-docs').replaceChildren(
        el('a', { class: 'btn btn-primary', href: base + '/result.zip', 'data-doc': 'zip', download: '' }, 'Скачать ZIP (PDF и DOCX)'),
        el('a', { class: 'btn', href: base + '/merged.pdf', 'data-doc': 'merged', download: '' }, 'Один PDF для печати'),
        el('a', { class: 'btn btn-link', href: '/orders' }, 'К списку приказов'));
    } else $('batch-docs').replaceChildren();
  }

  let stream = null;
  let current = '';
  async function follow(id) {
    current = id;
    if (stream) stream.close();
    $('progress-box').hidden = false;
    $('progress-text').textContent = 'Подключение…';
    const r = await api('GET', '/api/v1/batches/' + id);
    if (!r.ok) { $('progress-text').textContent = 'Пакет не найден.'; return; }
    const b = await r.json();
    const finished = b.progress && b.progress.done;
    if (b.progress) drawProgress(id, b.progress, finished);
    if (finished) return;
    stream = new EventSource(`/api/v1/batches/${id}/events`);
    stream.addEventListener('progress', (ev) => drawProgress(id, JSON.parse(ev.data), false));
    stream.addEventListener('done', (ev) => { drawProgress(id, JSON.parse(ev.data), true); stream.close(); loadRecent(); });
    stream.addEventListener('error', () => { if (stream.readyState === EventSource.CLOSED) $('progress-text').textContent += ' Связь потеряна: обновите страницу.'; });
  }
  $('b-cancel').addEventListener('click', async () => {
    if (!current || !confirm('Остановить выпуск? Уже сформированные приказы останутся.')) return;
    const r = await api('POST', `/api/v1/batches/${current}/cancel`);
    if (!r.ok) alert('Не остановлено: ' + (await problem(r)).detail);
  });

  async function loadRecent() {
    const r = await api('GET', '/api/v1/batches?limit=10');
    const box = $('recent');
    if (!r.ok) { box.textContent = 'Список недоступен.'; return; }
    const list = (await r.json()).batches || [];
    if (!list.length) { box.replaceChildren(el('p', { class: 'muted' }, 'Пакетов ещё не было.')); return; }
    box.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { class: 'list cards' },
      el('thead', {}, el('tr', {}, ['Создан', 'Шаблон', 'Файл', 'Приказов', 'Состояние'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, list.map((b) => el('tr', {},
        el('td', { 'data-label': 'Создан' }, el('a', { href: '/batches/' + b.id }, ruDateTime(b.created_at))),
        el('td', { 'data-label': 'Шаблон' }, b.template),
        el('td', { 'data-label': 'Файл' }, b.data_file || ''),
        el('td', { 'data-label': 'Приказов' }, String(b.total)),
        el('td', { 'data-label': 'Состояние' }, stateRu[b.state] || b.state)))))));
  }

  drawConstants();
  loadTemplates();
  $('b-org').addEventListener('change', loadTemplates);
  loadRecent();
  if (page.batch) follow(page.batch);
  window.addEventListener('popstate', () => { const m = /^\/batches\/([\w-]+)$/.exec(location.pathname); if (m) follow(m[1]); });
})();
