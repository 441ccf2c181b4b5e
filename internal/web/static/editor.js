// «Новый приказ»: the form is drawn from the draft JSON itself, and every input carries the
// JSON path of the value it edits (data-path), so the API's problem paths land on the right
// field and what the clerk sees is exactly what POST /api/v1/orders receives.
'use strict';
(() => {
  const { api, problem, ru, el, pageData: page } = window.Orders;
  const root = document.getElementById('editor');
  const problemsBox = document.getElementById('problems');
  const savedLabel = document.getElementById('saved');
  const frame = document.getElementById('preview-frame');
  const previewStatus = document.getElementById('preview-status');
  const autoPreview = document.getElementById('auto-preview');
  const submitBtn = document.getElementById('submit-btn');
  const submitStatus = document.getElementById('submit-status');
  const MAX_DEPTH = 4;
  const storeKey = 'orders.draft.' + page.user + (page.edit ? '.' + page.edit : '');

  let model = null;
  let dirty = false;
  let lastProblems = [];
  const touched = new Set();

  // ---- JSON paths: "clauses[2].children[0].text" ----
  function parsePath(p) {
    const out = [];
    p.replace(/([^.[\]]+)|\[(\d+)\]/g, (m, name, idx) => { out.push(name !== undefined ? name : Number(idx)); return m; });
    return out;
  }
  function getAt(o, p) {
    for (const k of parsePath(p)) { if (o == null) return undefined; o = o[k]; }
    return o;
  }
  function setAt(o, p, v) {
    const ks = parsePath(p);
    for (let i = 0; i < ks.length - 1; i++) {
      if (o[ks[i]] == null) o[ks[i]] = typeof ks[i + 1] === 'number' ? [] : {};
      o = o[ks[i]];
    }
    o[ks[ks.length - 1]] = v;
  }
  function parentPath(p) {
    let m = /^(.*)\[\d+\]$/.exec(p);
    if (m) return m[1];
    m = /^(.*)\.[^.[\]]+$/.exec(p);
    if (m) return m[1];
    return p ? '' : null;
  }
  function splitItem(p) { // "a.b[3]" → {list: "a.b", index: 3}
    const m = /^(.*)\[(\d+)\]$/.exec(p);
    return m ? { list: m[1], index: Number(m[2]) } : null;
  }
  const idOf = (p) => 'f-' + p.replace(/\[(\d+)\]/g, '-$1').replace(/\./g, '-');

  // ---- the model ----
  function normClause(c) {
    const out = { text: c.text || '' };
    for (const k of ['responsible', 'deadline', 'appendix']) if (c[k]) out[k] = c[k];
    // Structures the form does not edit (personnel clauses, content, numbering) travel along.
    for (const k of ['action', 'person', 'position', 'date', 'basis', 'content', 'numbering']) if (c[k] !== undefined) out[k] = c[k];
    if (c.children && c.children.length) out.children = c.children.map(normClause);
    return out;
  }
  function normalize(d) {
    d = JSON.parse(JSON.stringify(d || {}));
    const sg = d.signatory || {};
    const ack = d.acknowledgement || {};
    const m = {
      kind: d.kind || 'приказ',
      place: d.place || '',
      title: d.title || '',
      spaced_operative: !!d.spaced_operative,
      preamble: Array.isArray(d.preamble) ? d.preamble : [],
      clauses: (d.clauses || []).map(normClause),
      control: d.control || '',
      signatory: { position: sg.position || [], name: sg.name || '' },
      acknowledgement: { style: ack.style || 'lines', people: (ack.people || []).map((p) => ({ name: p.name || '', position: p.position || '' })) },
      executor: { name: (d.executor && d.executor.name) || '', phone: (d.executor && d.executor.phone) || '' },
      appendices: (d.appendices || []).map((a) => ({ key: a.key || '', approved: !!a.approved, title: a.title || '', content: a.content || [] })),
    };
    // Fields the form does not edit travel along untouched.
    for (const k of ['heading', 'operative', 'date_style', 'appendix_ref', 'letterhead', 'organization',
      'operative_at', 'numbering', 'control_at', 'unnumbered', 'date_place', 'protocol', 'signatories']) if (d[k] !== undefined) m[k] = d[k];
    if (!m.clauses.length) m.clauses.push({ text: '' });
    if (page.admin && !m.organization && page.orgs && page.orgs.length) m.organization = page.orgs[0].id;
    return m;
  }
  function blank() { return normalize({}); }

  // payload is the draft as the API takes it: empty optional parts left out, but never an
  // element of a list, so the problem paths stay those of the form.
  function payload() {
    const d = JSON.parse(JSON.stringify(model));
    const cleanClauses = (cs) => cs.forEach((c) => {
      for (const k of ['responsible', 'deadline', 'appendix']) if (!c[k]) delete c[k];
      if (c.children && !c.children.length) delete c.children;
      if (c.children) cleanClauses(c.children);
    });
    cleanClauses(d.clauses);
    if (!d.place) delete d.place;
    if (!d.control) delete d.control;
    if (!d.spaced_operative) delete d.spaced_operative;
    if (!d.preamble.length) delete d.preamble;
    if (!d.acknowledgement.people.length) delete d.acknowledgement;
    if (!d.executor.name && !d.executor.phone) delete d.executor;
    else if (!d.executor.phone) delete d.executor.phone;
    if (!d.appendices.length) delete d.appendices;
    else d.appendices.forEach((a) => { if (!a.approved) delete a.approved; });
    if (d.acknowledgement) d.acknowledgement.people.forEach((p) => { if (!p.position) delete p.position; });
    if (!page.admin) delete d.organization;
    return d;
  }

  // ---- saving as you go (this browser, this user) ----
  let saveTimer = 0;
  function save() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      try {
        localStorage.setItem(storeKey, JSON.stringify({ at: Date.now(), draft: model }));
        savedLabel.textContent = 'Черновик сохранён в браузере ' + new Date().toLocaleTimeString('ru-RU');
      } catch (e) {
        savedLabel.textContent = 'Черновик не сохраняется: хранилище браузера недоступно';
      }
    }, 400);
  }
  function changed() {
    dirty = true;
    save();
    schedulePreview();
  }

  // ---- drawing the form ----
  function field(label, path, opts = {}) {
    const id = idOf(path);
    const v = getAt(model, path);
    let input;
    const common = { id, 'data-path': path, 'data-kind': opts.type || 'text', 'aria-describedby': id + '-err' + (opts.hint ? ' ' + id + '-hint' : '') };
    switch (opts.type) {
      case 'textarea':
        input = el('textarea', Object.assign({ rows: opts.rows || 2, placeholder: opts.placeholder }, common), v || '');
        break;
      case 'lines':
        input = el('textarea', Object.assign({ rows: opts.rows || 2, placeholder: opts.placeholder }, common), (v || []).join('\n'));
        break;
      case 'select':
        input = el('select', common, opts.options.map(([val, text]) => el('option', { value: val, selected: val === (v || '') }, text)));
        break;
      case 'checkbox':
        input = el('input', Object.assign({ type: 'checkbox', checked: !!v }, common));
        return el('div', { class: 'field', 'data-field': path },
          el('label', { class: 'check', for: id }, input, label),
          el('div', { class: 'err', id: id + '-err' }));
      default:
        input = el('input', Object.assign({ type: opts.type || 'text', value: v || '', placeholder: opts.placeholder, autocomplete: 'off' }, common));
    }
    if (opts.required) input.setAttribute('aria-required', 'true');
    return el('div', { class: 'field' + (opts.cls ? ' ' + opts.cls : ''), 'data-field': path },
      el('label', { for: id }, label, opts.required ? el('span', { 'aria-hidden': 'true', class: 'muted' }, ' *') : null),
      input,
      opts.hint ? el('div', { class: 'hint', id: id + '-hint' }, opts.hint) : null,
      el('div', { class: 'err', id: id + '-err' }));
  }
  function tool(act, path, symbol, label, extra = {}) {
    return el('button', Object.assign({ type: 'button', class: 'btn btn-sm', 'data-act': act, 'data-path': path, 'aria-label': label, title: label }, extra), symbol);
  }
  function itemTools(path, { indent = false } = {}) {
    const { index, list } = splitItem(path);
    const n = getAt(model, list).length;
    return el('div', { class: 'tools' },
      tool('up', path, '↑', 'Переместить выше', { disabled: index === 0 }),
      tool('down', path, '↓', 'Переместить ниже', { disabled: index === n - 1 }),
      indent ? tool('outdent', path, '←', 'На уровень выше', { disabled: !/\.children$/.test(list) }) : null,
      indent ? tool('indent', path, '→', 'Сделать подпунктом предыдущего', { disabled: index === 0 }) : null,
      tool('remove', path, '✕', 'Удалить', { class: 'btn btn-sm btn-danger' }));
  }

  function currentOrg() {
    const orgs = page.orgs || [];
    if (model.organization) return orgs.find((o) => o.id === model.organization) || orgs[0];
    return orgs[0];
  }
  function letterheadBox() {
    const org = currentOrg();
    const lh = model.letterhead || (org && org.letterhead);
    if (!lh) return el('div', { class: 'letterhead-box muted' }, 'У организации нет бланка: его заводит администратор.');
    const contacts = [lh.address, lh.phone && 'тел. ' + lh.phone, lh.fax && 'факс ' + lh.fax, lh.email, lh.site].filter(Boolean).join(', ');
    return el('div', { class: 'letterhead-box', 'data-testid': 'letterhead', 'aria-label': 'Бланк организации' },
      (lh.parents || []).map((p) => el('div', {}, p)),
      el('div', { class: 'lh-name' }, lh.name),
      lh.subordinate ? el('div', { class: 'lh-name' }, lh.subordinate) : null,
      contacts ? el('div', { class: 'small' }, contacts) : null);
  }

  function sectionStart() {
    const opts = [['', '— выберите —'], ['blank', 'Пустой приказ']].concat((page.templates || []).map((t) => [t.id, t.label]));
    const id = 'start-from';
    return el('fieldset', {},
      el('legend', {}, 'Начать с'),
      el('div', { class: 'row' },
        el('div', { class: 'field' },
          el('label', { for: id }, 'Шаблон или пример'),
          el('select', { id, 'data-start': '1' }, opts.map(([v, t]) => el('option', { value: v }, t))),
          el('div', { class: 'hint' }, 'Заменит содержимое формы. Копию прежнего приказа можно сделать на его странице: «Создать копию».'))));
  }

  function sectionHead() {
    const kinds = [['приказ', 'Приказ'], ['распоряжение', 'Распоряжение'], ['решение', 'Решение']];
    const orgSel = page.admin ? field('Организация', 'organization', { type: 'select', options: (page.orgs || []).map((o) => [o.id, o.name || o.id]) }) : null;
    return el('fieldset', {},
      el('legend', {}, 'Бланк и вид документа'),
      orgSel,
      el('div', { class: 'field' }, el('span', { class: 'label' }, 'Бланк'), letterheadBox(),
        el('div', { class: 'hint' }, 'Берётся из профиля организации; изменить его может администратор.')),
      el('div', { class: 'row' },
        field('Вид документа', 'kind', { type: 'select', options: kinds }),
        field('Место издания', 'place', { placeholder: 'г. Балашиха' })),
      field('Распорядительное слово вразрядку («П Р И К А З Ы В А Ю»)', 'spaced_operative', { type: 'checkbox' }),
      el('p', { class: 'hint' }, 'Номер и дата присваиваются при регистрации; до неё документ печатается с пометкой «ПРОЕКТ».'));
  }

  function sectionTitle() {
    const pre = el('ol', { class: 'items', 'data-field': 'preamble' }, el('div', { class: 'err' }));
    model.preamble.forEach((_, i) => {
      const p = `preamble[${i}]`;
      pre.append(el('li', { class: 'item' },
        el('div', { class: 'item-head' }, el('span', { class: 'grow label' }, `Абзац ${i + 1}`), itemTools(p)),
        field(`Текст абзаца ${i + 1} преамбулы`, p, { type: 'textarea', rows: 2 })));
    });
    return el('fieldset', {},
      el('legend', {}, 'Заголовок и преамбула'),
      field('Заголовок (о чём приказ)', 'title', { type: 'textarea', rows: 2, required: true, placeholder: 'Об организации работы …', hint: 'Без точки в конце.' }),
      el('div', { class: 'field' }, el('span', { class: 'label' }, 'Преамбула (основание, цели)'), pre,
        el('div', { class: 'add-row' }, el('button', { type: 'button', class: 'btn', 'data-act': 'add', 'data-path': 'preamble', 'data-new': 'string' }, '+ Абзац преамбулы'))));
  }

  function appendixOptions() {
    return [['', 'нет']].concat(model.appendices.map((a, i) => [a.key, `Приложение ${i + 1}${a.title ? ': ' + a.title.slice(0, 50) : ''}`]));
  }
  function depthOf(path) { return (path.match(/children/g) || []).length + 1; }
  function numberOf(path) { return parsePath(path).filter((k) => typeof k === 'number').map((n) => n + 1).join('.') + '.'; }

  function clauseItem(path) {
    const c = getAt(model, path);
    const depth = depthOf(path);
    const no = numberOf(path);
    const hasExtra = !!(c.responsible || c.deadline || c.appendix);
    const children = el('ol', { class: 'items', 'data-field': path + '.children' }, el('div', { class: 'err' }));
    (c.children || []).forEach((_, i) => children.append(clauseItem(`${path}.children[${i}]`)));
    const text = field(`Текст пункта ${no.slice(0, -1)}`, path + '.text', { type: 'textarea', rows: 2, required: true });
    text.querySelector('textarea').setAttribute('data-clause', path);
    return el('li', { class: 'item', 'data-field': path, 'data-testid': 'clause' },
      el('div', { class: 'err' }),
      el('div', { class: 'item-head' }, el('span', { class: 'item-no' }, no), el('span', { class: 'grow' }), itemTools(path, { indent: true })),
      text,
      el('div', { class: 'person-pick' }, el('button', { type: 'button', class: 'btn btn-sm', 'data-pick': path, 'aria-expanded': 'false',
        'aria-label': `Вставить лицо… в пункт ${no.slice(0, -1)}: из листа ознакомления, в винительном падеже` }, 'Вставить лицо…')),
      el('details', { class: 'more', open: hasExtra },
        el('summary', { class: 'small' }, 'Срок, ответственный, приложение'),
        el('div', { class: 'extra' },
          field('Срок', path + '.deadline', { placeholder: 'до 01.10.2025' }),
          field('Ответственный', path + '.responsible', { placeholder: 'Иванова И.И.' }),
          field('Ссылка на приложение', path + '.appendix', { type: 'select', options: appendixOptions() }))),
      children,
      depth < MAX_DEPTH ? el('div', { class: 'add-row' }, tool('add-child', path, `+ Подпункт ${no}`, `Добавить подпункт к пункту ${no}`, { class: 'btn btn-sm' })) : null);
  }

  function sectionClauses() {
    const list = el('ol', { class: 'items', 'data-field': 'clauses', id: 'clauses' }, el('div', { class: 'err' }));
    model.clauses.forEach((_, i) => list.append(clauseItem(`clauses[${i}]`)));
    return el('fieldset', {},
      el('legend', {}, 'Пункты'),
      el('p', { class: 'hint' }, 'Номера ставятся сами. До 4 уровней. Клавиши в тексте пункта: Alt+↑/↓ — переместить, Alt+→/← — уровень, Ctrl+Enter — новый пункт.'),
      list,
      el('div', { class: 'add-row' }, el('button', { type: 'button', class: 'btn', 'data-act': 'add', 'data-path': 'clauses', 'data-new': 'clause', id: 'add-clause' }, '+ Пункт')),
      el('div', { class: 'field' }, ''),
      field(`Пункт о контроле (печатается последним, № ${model.clauses.length + 1})`, 'control', { placeholder: 'Контроль за исполнением настоящего приказа оставляю за собой.' }));
  }

  // ---- appendices and their blocks ----
  const blockNames = { paragraph: 'Абзац', list: 'Список', table: 'Таблица', section: 'Раздел', point: 'Пункт' };
  const kindsTop = ['paragraph', 'table', 'section', 'list'];
  const kindsSection = ['point', 'paragraph', 'table', 'list'];
  const kindsPoint = ['point', 'paragraph', 'list'];
  function blockType(b) { return ['paragraph', 'list', 'table', 'section', 'point'].find((k) => b[k] !== undefined) || 'paragraph'; }

  function blocksEditor(path, kinds, parentNo) {
    const blocks = getAt(model, path) || [];
    const wrap = el('div', { class: 'blocks', 'data-field': path }, el('div', { class: 'err' }));
    let sec = 0;
    let pt = 0;
    blocks.forEach((b, i) => {
      const t = blockType(b);
      let no = '';
      if (t === 'section') no = String(++sec);
      if (t === 'point') no = (parentNo ? parentNo + '.' : '') + (++pt);
      wrap.append(blockEditor(`${path}[${i}]`, b, t, no));
    });
    wrap.append(el('div', { class: 'add-row' }, kinds.map((k) =>
      el('button', { type: 'button', class: 'btn btn-sm', 'data-act': 'add-block', 'data-path': path, 'data-type': k }, '+ ' + blockNames[k]))));
    return wrap;
  }

  function blockEditor(path, b, t, no) {
    const head = el('div', { class: 'item-head' }, el('span', { class: 'block-kind grow' }, blockNames[t] + (no ? ' ' + no + '.' : '')), itemTools(path));
    let body;
    switch (t) {
      case 'paragraph':
        body = field('Текст абзаца', path + '.paragraph', { type: 'textarea', rows: 3 });
        break;
      case 'list':
        body = field('Элементы списка', path + '.list', { type: 'lines', rows: 3, hint: 'Каждый элемент — с новой строки.' });
        break;
      case 'table':
        body = tableEditor(path + '.table');
        break;
      case 'section':
        body = el('div', {},
          field(`Название раздела ${no}`, path + '.section.title', { placeholder: 'Общие положения' }),
          blocksEditor(path + '.section.content', kindsSection, no));
        break;
      case 'point':
        body = el('div', {},
          field(`Текст пункта ${no}`, path + '.point.text', { type: 'textarea', rows: 2 }),
          blocksEditor(path + '.point.content', kindsPoint, no));
        break;
    }
    return el('div', { class: 'block', 'data-field': path }, el('div', { class: 'err' }), head, body);
  }

  function tableEditor(tp) {
    const t = getAt(model, tp);
    const cols = t.columns || [];
    const rows = t.rows || [];
    const head = el('tr', {}, el('th', { class: 'rowno', scope: 'col' }, t.numbered ? '№' : ''),
      cols.map((c, j) => el('th', { scope: 'col', 'data-field': `${tp}.columns[${j}]` },
        el('div', { class: 'item-head' },
          el('input', { id: idOf(`${tp}.columns[${j}].title`), 'data-path': `${tp}.columns[${j}].title`, value: c.title || '', 'aria-label': `Заголовок графы ${j + 1}`, placeholder: `Графа ${j + 1}` }),
          tool('del-col', tp, '✕', `Удалить графу ${j + 1}`, { 'data-col': j, class: 'btn btn-sm btn-danger', disabled: cols.length < 2 })))),
      el('th', { class: 'rowtools', scope: 'col' }, el('span', { class: 'sr' }, 'Удалить')));
    const body = el('tbody', {}, rows.map((r, i) => el('tr', { 'data-field': `${tp}.rows[${i}]` },
      el('td', { class: 'rowno' }, String(i + 1)),
      cols.map((_, j) => el('td', { 'data-field': `${tp}.rows[${i}][${j}]` },
        el('input', { id: idOf(`${tp}.rows[${i}][${j}]`), 'data-path': `${tp}.rows[${i}][${j}]`, 'data-table': tp, 'data-r': i, 'data-c': j, value: r[j] || '', 'aria-label': `Строка ${i + 1}, графа ${j + 1}${cols[j].title ? ' («' + cols[j].title + '»)' : ''}` }))),
      el('td', { class: 'rowtools' }, tool('remove', `${tp}.rows[${i}]`, '✕', `Удалить строку ${i + 1}`, { class: 'btn btn-sm btn-danger' })))));
    const pasteId = idOf(tp) + '-paste';
    return el('div', { class: 'table-edit', 'data-field': tp, 'data-testid': 'table' },
      el('div', { class: 'err' }),
      field('Нумеровать строки (графа «№ п/п»)', tp + '.numbered', { type: 'checkbox' }),
      el('div', { class: 'table-wrap', 'data-field': tp + '.rows' }, el('div', { class: 'err' }), el('table', { class: 'grid' }, el('thead', {}, head), body)),
      el('div', { class: 'add-row' },
        el('button', { type: 'button', class: 'btn btn-sm', 'data-act': 'add-row', 'data-path': tp }, '+ Строка'),
        el('button', { type: 'button', class: 'btn btn-sm', 'data-act': 'add-col', 'data-path': tp }, '+ Графа')),
      el('div', { class: 'field paste' },
        el('label', { for: pasteId }, 'Вставить из Excel'),
        el('textarea', { id: pasteId, rows: 2, 'data-paste': tp, placeholder: 'Скопируйте ячейки в Excel и вставьте сюда (Ctrl+V): строки добавятся в таблицу' }),
        el('div', { class: 'add-row' }, el('button', { type: 'button', class: 'btn btn-sm', 'data-act': 'paste-rows', 'data-path': tp }, 'Добавить строки из поля'))));
  }

  function sectionAppendices() {
    const list = el('div', { 'data-field': 'appendices', id: 'appendices' }, el('div', { class: 'err' }));
    model.appendices.forEach((a, i) => {
      const p = `appendices[${i}]`;
      list.append(el('div', { class: 'item', 'data-field': p, 'data-testid': 'appendix' },
        el('div', { class: 'err' }),
        el('div', { class: 'item-head' }, el('span', { class: 'item-no grow' }, `Приложение ${i + 1}`), itemTools(p)),
        field(`Заголовок приложения ${i + 1}`, p + '.title', { type: 'textarea', rows: 2, placeholder: 'Перечень …' }),
        field('Утверждается приказом (гриф «УТВЕРЖДЕНО»: для положения, плана)', p + '.approved', { type: 'checkbox' }),
        el('div', { class: 'field', 'data-field': p + '.key' }, el('div', { class: 'err' })),
        blocksEditor(p + '.content', kindsTop, '')));
    });
    return el('fieldset', {},
      el('legend', {}, 'Приложения'),
      el('p', { class: 'hint' }, 'Каждое приложение начинается с новой страницы; отметка «Приложение N к приказу …» ставится сама. Ссылку из пункта задайте в поле «Ссылка на приложение».'),
      list,
      el('div', { class: 'add-row' }, el('button', { type: 'button', class: 'btn', 'data-act': 'add-appendix', 'data-path': 'appendices', id: 'add-appendix' }, '+ Приложение')));
  }

  function sectionSign() {
    const people = el('ol', { class: 'items', 'data-field': 'acknowledgement.people' }, el('div', { class: 'err' }));
    model.acknowledgement.people.forEach((_, i) => {
      const p = `acknowledgement.people[${i}]`;
      people.append(el('li', { class: 'item', 'data-field': p },
        el('div', { class: 'item-head' }, el('span', { class: 'grow label' }, `${i + 1}.`), itemTools(p)),
        el('div', { class: 'row' },
          field(`Ф.И.О. (${i + 1})`, p + '.name', { placeholder: 'Л.Е. Мартынова' }),
          field(`Должность (${i + 1})`, p + '.position', { placeholder: 'заместитель начальника' }))));
    });
    return el('fieldset', {},
      el('legend', {}, 'Подпись, ознакомление, исполнитель'),
      el('div', { class: 'row' },
        field('Должность подписанта', 'signatory.position', { type: 'lines', rows: 2, required: true, hint: 'Можно в несколько строк.', placeholder: 'Начальник управления' }),
        field('Подписант (И.О. Фамилия)', 'signatory.name', { required: true, placeholder: 'А.Н. Зубова' })),
      el('div', { class: 'field', 'data-field': 'acknowledgement' },
        el('span', { class: 'label' }, 'С приказом ознакомить'),
        el('div', { class: 'err' }),
        field('Оформление', 'acknowledgement.style', { type: 'select', options: [['lines', 'строки «С приказом ознакомлены:»'], ['sheet', 'отдельный «Лист ознакомления»']] }),
        people,
        el('div', { class: 'add-row' }, el('button', { type: 'button', class: 'btn btn-sm', 'data-act': 'add', 'data-path': 'acknowledgement.people', 'data-new': 'person' }, '+ Человек'))),
      el('div', { class: 'row', 'data-field': 'executor' },
        field('Исполнитель', 'executor.name', { placeholder: 'Морозова И.А.' }),
        field('Телефон исполнителя', 'executor.phone', { type: 'tel', placeholder: '8 (495) 000-00-00' })));
  }

  function render(focus) {
    const active = focus || (document.activeElement && (document.activeElement.dataset.path ? `[data-path="${CSS.escape(document.activeElement.dataset.path)}"]` : null));
    root.replaceChildren(sectionStart(), sectionHead(), sectionTitle(), sectionClauses(), sectionAppendices(), sectionSign());
    root.querySelectorAll('textarea[data-path]').forEach(autosize);
    if (active) {
      const e = root.querySelector(active);
      if (e) {
        const d = e.closest('details');
        if (d) d.open = true;
        e.focus();
      }
    }
  }

  // ---- structural actions ----
  function newItem(kind) {
    switch (kind) {
      case 'string': return '';
      case 'clause': return { text: '' };
      case 'person': return { name: '', position: '' };
      default: return '';
    }
  }
  // filled reports whether an item holds any text, so removing an empty one asks nothing.
  const filled = (v) => (typeof v === 'string' ? v.trim() !== ''
    : Array.isArray(v) ? v.some(filled)
      : v && typeof v === 'object' ? Object.entries(v).some(([k, x]) => k !== 'key' && filled(x)) : false);
  function subtreeDepth(c) { return 1 + Math.max(0, ...(c.children || []).map(subtreeDepth)); }
  function nextKey() {
    for (let i = 1; ; i++) { const k = 'app' + i; if (!model.appendices.some((a) => a.key === k)) return k; }
  }
  function newBlock(type) {
    switch (type) {
      case 'paragraph': return { paragraph: '' };
      case 'list': return { list: [] };
      case 'table': return { table: { numbered: true, columns: [{ title: '' }, { title: '' }], rows: [['', '']] } };
      case 'section': return { section: { title: '', content: [{ point: { text: '' } }] } };
      case 'point': return { point: { text: '' } };
    }
  }
  const sel = (act, path) => `[data-act="${act}"][data-path="${CSS.escape(path)}"]`;
  const inp = (path) => `[data-path="${CSS.escape(path)}"]`;

  const actions = {
    add(path, btn) {
      const list = getAt(model, path);
      list.push(newItem(btn.dataset.new));
      const p = `${path}[${list.length - 1}]`;
      render(inp(btn.dataset.new === 'clause' ? p + '.text' : btn.dataset.new === 'person' ? p + '.name' : p));
    },
    'add-child'(path) {
      const c = getAt(model, path);
      if (depthOf(path) >= MAX_DEPTH) return;
      c.children = c.children || [];
      c.children.push({ text: '' });
      render(inp(`${path}.children[${c.children.length - 1}].text`));
    },
    remove(path) {
      const { list, index } = splitItem(path);
      const arr = getAt(model, list);
      const item = arr[index];
      if (filled(item) && !confirm('Удалить этот элемент вместе с его текстом?')) return;
      arr.splice(index, 1);
      if (/^appendices$/.test(list) && item.key) {
        const drop = (cs) => cs.forEach((c) => { if (c.appendix === item.key) delete c.appendix; drop(c.children || []); });
        drop(model.clauses);
      }
      const focusPath = arr.length ? `${list}[${Math.min(index, arr.length - 1)}]` : null;
      render(focusPath ? sel('remove', focusPath) : null);
    },
    up(path) { move(path, -1); },
    down(path) { move(path, +1); },
    indent(path) {
      const { list, index } = splitItem(path);
      if (index === 0) return;
      const arr = getAt(model, list);
      const item = arr[index];
      if (depthOf(path) + subtreeDepth(item) > MAX_DEPTH) {
        alert(`Глубже ${MAX_DEPTH} уровней пункты не вкладываются.`);
        return;
      }
      const prev = arr[index - 1];
      arr.splice(index, 1);
      prev.children = prev.children || [];
      prev.children.push(item);
      render(sel('indent', `${list}[${index - 1}].children[${prev.children.length - 1}]`));
    },
    outdent(path) {
      const { list, index } = splitItem(path);
      if (!/\.children$/.test(list)) return;
      const parent = list.replace(/\.children$/, '');
      const g = splitItem(parent);
      const arr = getAt(model, list);
      const [item] = arr.splice(index, 1);
      const parentObj = getAt(model, parent);
      if (!parentObj.children.length) delete parentObj.children;
      getAt(model, g.list).splice(g.index + 1, 0, item);
      render(sel('outdent', `${g.list}[${g.index + 1}]`));
    },
    'add-appendix'() {
      model.appendices.push({ key: nextKey(), approved: false, title: '', content: [] });
      render(inp(`appendices[${model.appendices.length - 1}].title`));
    },
    'add-block'(path, btn) {
      let arr = getAt(model, path);
      if (!arr) { arr = []; setAt(model, path, arr); }
      arr.push(newBlock(btn.dataset.type));
      const p = `${path}[${arr.length - 1}]`;
      const focus = { paragraph: '.paragraph', list: '.list', table: '.table.columns[0].title', section: '.section.title', point: '.point.text' }[btn.dataset.type];
      render(inp(p + focus));
    },
    'add-row'(tp) {
      const t = getAt(model, tp);
      t.rows.push(t.columns.map(() => ''));
      render(inp(`${tp}.rows[${t.rows.length - 1}][0]`));
    },
    'add-col'(tp) {
      const t = getAt(model, tp);
      t.columns.push({ title: '' });
      t.rows.forEach((r) => r.push(''));
      render(inp(`${tp}.columns[${t.columns.length - 1}].title`));
    },
    'del-col'(tp, btn) {
      const t = getAt(model, tp);
      const j = Number(btn.dataset.col);
      if (t.columns.length < 2) return;
      t.columns.splice(j, 1);
      t.rows.forEach((r) => r.splice(j, 1));
      render(inp(`${tp}.columns[${Math.min(j, t.columns.length - 1)}].title`));
    },
    'paste-rows'(tp) {
      const ta = root.querySelector(`[data-paste="${CSS.escape(tp)}"]`);
      pasteRows(tp, ta.value);
    },
  };
  function move(path, d) {
    const { list, index } = splitItem(path);
    const arr = getAt(model, list);
    const j = index + d;
    if (j < 0 || j >= arr.length) return;
    [arr[index], arr[j]] = [arr[j], arr[index]];
    render(sel(d < 0 ? 'up' : 'down', `${list}[${j}]`) + ':not([disabled])' );
    const b = root.querySelector(sel(d < 0 ? 'up' : 'down', `${list}[${j}]`));
    if (b && b.disabled) { const o = root.querySelector(sel(d < 0 ? 'down' : 'up', `${list}[${j}]`)); if (o) o.focus(); }
  }

  // parseTSV reads what Excel puts on the clipboard: cells split by tabs, rows by newlines,
  // a cell with a tab, newline or quote in quotes with "" for a quote.
  function parseTSV(text) {
    text = text.replace(/\r\n?/g, '\n');
    const rows = [];
    let row = [];
    let cell = '';
    let q = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (q) {
        if (ch === '"') { if (text[i + 1] === '"') { cell += '"'; i++; } else q = false; } else cell += ch;
      } else if (ch === '"' && cell === '') q = true;
      else if (ch === '\t') { row.push(cell); cell = ''; }
      else if (ch === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
      else cell += ch;
    }
    if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
    while (rows.length && rows[rows.length - 1].every((c) => c.trim() === '')) rows.pop();
    return rows.map((r) => r.map((c) => c.trim()));
  }
  // putCells writes pasted rows into the table from (r0, c0), adding rows and columns as needed.
  function putCells(tp, data, r0, c0) {
    const t = getAt(model, tp);
    const width = Math.max(...data.map((r) => r.length));
    while (t.columns.length < c0 + width) { t.columns.push({ title: '' }); t.rows.forEach((r) => r.push('')); }
    data.forEach((cells, i) => {
      while (t.rows.length <= r0 + i) t.rows.push(t.columns.map(() => ''));
      cells.forEach((v, j) => { t.rows[r0 + i][c0 + j] = v; });
    });
  }
  function pasteRows(tp, text) {
    const data = parseTSV(text || '');
    if (!data.length) return;
    const t = getAt(model, tp);
    // A table whose rows are all empty is filled from its top; otherwise rows are appended.
    const empty = t.rows.every((r) => r.every((c) => !c.trim()));
    if (empty) t.rows = [];
    putCells(tp, data, t.rows.length, 0);
    render(inp(`${tp}.rows[${t.rows.length - 1}][0]`));
    changed();
    submitStatus.textContent = `Вставлено строк: ${data.length}`;
  }

  // ---- events ----
  function readValue(t) {
    switch (t.dataset.kind) {
      case 'checkbox': return t.checked;
      case 'lines': return t.value.split('\n').filter((l) => l.trim() !== '');
      default: return t.value;
    }
  }
  // autosize lets a text field grow with its text, so a long clause is read whole.
  function autosize(t) {
    t.style.height = 'auto';
    t.style.height = (t.scrollHeight + 2) + 'px';
  }
  window.addEventListener('resize', () => root.querySelectorAll('textarea[data-path]').forEach(autosize));
  root.addEventListener('input', (e) => {
    const t = e.target;
    if (t.tagName === 'TEXTAREA') autosize(t);
    if (!t.dataset.path) return;
    setAt(model, t.dataset.path, readValue(t));
    const f = t.closest('[data-field]');
    if (f && f.classList.contains('invalid')) { f.classList.remove('invalid'); const er = f.querySelector(':scope > .err'); if (er) er.textContent = ''; t.removeAttribute('aria-invalid'); }
    changed();
  });
  root.addEventListener('change', (e) => {
    const t = e.target;
    if (t.dataset.start !== undefined) { startFrom(t.value); t.value = ''; return; }
    if (!t.dataset.path) return;
    setAt(model, t.dataset.path, readValue(t));
    changed();
    if (t.dataset.path === 'organization') render(inp('organization'));
    // Not a re-render: a change fires on blur, and a re-render then would swallow the
    // click that caused the blur.
    if (/^appendices\[\d+\]\.title$/.test(t.dataset.path)) refreshAppendixOptions();
  });
  function refreshAppendixOptions() {
    const opts = appendixOptions();
    root.querySelectorAll('select[data-path$=".appendix"]').forEach((sel) => {
      const v = sel.value;
      sel.replaceChildren(...opts.map(([val, text]) => el('option', { value: val, selected: val === v }, text)));
    });
  }
  root.addEventListener('focusout', (e) => { if (e.target.dataset && e.target.dataset.path) touched.add(e.target.dataset.path); });
  root.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-act]');
    if (!b || b.disabled) return;
    e.preventDefault();
    const f = actions[b.dataset.act];
    if (f) { f(b.dataset.path, b); changed(); }
  });
  root.addEventListener('paste', (e) => {
    const t = e.target;
    const text = (e.clipboardData || window.clipboardData).getData('text');
    if (t.dataset.paste) { e.preventDefault(); pasteRows(t.dataset.paste, text); return; }
    if (t.dataset.table && /[\t\n]/.test(text.replace(/\n$/, ''))) {
      e.preventDefault();
      putCells(t.dataset.table, parseTSV(text), Number(t.dataset.r), Number(t.dataset.c));
      render(inp(t.dataset.path));
      changed();
    }
  });
  root.addEventListener('keydown', (e) => {
    const path = e.target.dataset && e.target.dataset.clause;
    if (!path) return;
    let act = null;
    if (e.altKey && e.key === 'ArrowUp') act = 'up';
    else if (e.altKey && e.key === 'ArrowDown') act = 'down';
    else if (e.altKey && e.key === 'ArrowRight') act = 'indent';
    else if (e.altKey && e.key === 'ArrowLeft') act = 'outdent';
    if (act) { e.preventDefault(); actions[act](path); changed(); focusClause(path, act); return; }
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      const { list, index } = splitItem(path);
      getAt(model, list).splice(index + 1, 0, { text: '' });
      render(inp(`${list}[${index + 1}].text`));
      changed();
    }
  });
  // ---- «Вставить лицо…»: a person of the acknowledgement list, put into the accusative by
  // the server (GET /api/v1/decline, the batch's own declension), at the clause's caret:
  // «возложить на» + Мартынова → «возложить на заместителя директора Мартынову Л.Е.».
  const carets = new Map(); // clause path → [start, end] of its last selection
  ['keyup', 'mouseup', 'input', 'select'].forEach((ev) => root.addEventListener(ev, (e) => {
    const path = e.target.dataset && e.target.dataset.clause;
    if (path) carets.set(path, [e.target.selectionStart, e.target.selectionEnd]);
  }));
  function closePick(box) {
    const list = box.querySelector('.person-list');
    if (list) list.remove();
    box.querySelector('[data-pick]').setAttribute('aria-expanded', 'false');
  }
  function openPick(btn) {
    const box = btn.closest('.person-pick');
    if (btn.getAttribute('aria-expanded') === 'true') { closePick(box); return; }
    const people = model.acknowledgement.people.map((p, i) => ({ p, i })).filter(({ p }) => p.name.trim());
    btn.setAttribute('aria-expanded', 'true');
    const list = el('div', { class: 'person-list', role: 'group', 'aria-label': 'Кого вставить (в винительном падеже)' },
      people.length
        ? people.map(({ p, i }) => el('button', { type: 'button', class: 'btn btn-sm', 'data-person': i, 'data-clause-of': btn.dataset.pick },
          [p.position, p.name].filter(Boolean).join(' ')))
        : el('p', { class: 'hint' }, 'В листе ознакомления ещё никого нет: добавьте людей в разделе «Ознакомление».'));
    box.append(list);
    const first = list.querySelector('button');
    if (first) first.focus();
  }
  async function insertPerson(btn) {
    const path = btn.dataset.clauseOf;
    const p = model.acknowledgement.people[Number(btn.dataset.person)];
    const box = btn.closest('.person-pick');
    if (!p) { closePick(box); return; }
    let phrase = [p.position, p.name].filter((x) => x && x.trim()).join(' ');
    const r = await api('GET', '/api/v1/decline?case=вин&text=' + encodeURIComponent(phrase)).catch(() => null);
    if (r && r.ok) phrase = (await r.json()).text;
    const t = root.querySelector(inp(path + '.text'));
    closePick(box);
    if (!t) return;
    const [start, end] = carets.get(path) || [t.value.length, t.value.length];
    const before = t.value.slice(0, start);
    const after = t.value.slice(end);
    const lead = before && !/\s$/.test(before) ? ' ' : '';
    const trail = after && !/^[\s.,;:)]/.test(after) ? ' ' : '';
    t.value = before + lead + phrase + trail + after;
    const caret = (before + lead + phrase).length;
    setAt(model, path + '.text', t.value);
    autosize(t);
    t.focus();
    t.setSelectionRange(caret, caret);
    carets.set(path, [caret, caret]);
    changed();
  }
  root.addEventListener('click', (e) => {
    const pick = e.target.closest('button[data-pick]');
    if (pick) { openPick(pick); return; }
    const person = e.target.closest('button[data-person]');
    if (person) insertPerson(person);
  });
  root.addEventListener('keydown', (e) => {
    const box = e.target.closest && e.target.closest('.person-pick');
    if (!box || e.key !== 'Escape' || !box.querySelector('.person-list')) return;
    e.preventDefault();
    closePick(box);
    box.querySelector('[data-pick]').focus();
  });
  function focusClause() {
    // After a keyboard move the focus stays on the moved clause's tool button (set by the
    // action); put it back into its text so typing goes on.
    const b = document.activeElement;
    if (b && b.dataset && b.dataset.path) { const t = root.querySelector(inp(b.dataset.path + '.text')); if (t) t.focus(); }
  }
  // The root is a <form>: Enter in a one-line input must not submit or reload it.
  root.addEventListener('submit', (e) => e.preventDefault());

  // ---- problems at their fields ----
  const words = { text: 'текст', title: 'заголовок', responsible: 'ответственный', deadline: 'срок', appendix: 'ссылка на приложение',
    name: 'Ф.И.О.', position: 'должность', phone: 'телефон', style: 'оформление', key: 'ключ', content: 'содержание',
    paragraph: 'абзац', list: 'список', table: 'таблица', section: 'раздел', point: 'пункт', columns: 'графы', rows: 'строки', numbered: 'нумерация', width: 'ширина' };
  function pathLabel(path) {
    if (!path) return 'Проект';
    const ks = parsePath(path);
    const top = { title: 'Заголовок', kind: 'Вид документа', place: 'Место издания', control: 'Пункт о контроле', organization: 'Организация',
      date: 'Дата', number: 'Номер', date_style: 'Формат даты', appendix_ref: 'Ссылка на приложение', letterhead: 'Бланк' };
    const out = [];
    let i = 0;
    if (ks[0] === 'clauses' && typeof ks[1] === 'number') {
      const nums = [ks[1] + 1];
      i = 2;
      while (ks[i] === 'children' && typeof ks[i + 1] === 'number') { nums.push(ks[i + 1] + 1); i += 2; }
      out.push('Пункт ' + nums.join('.'));
    } else if (ks[0] === 'preamble') { out.push('Преамбула' + (typeof ks[1] === 'number' ? ', абзац ' + (ks[1] + 1) : '')); i = typeof ks[1] === 'number' ? 2 : 1; }
    else if (ks[0] === 'appendices') { out.push(typeof ks[1] === 'number' ? 'Приложение ' + (ks[1] + 1) : 'Приложения'); i = typeof ks[1] === 'number' ? 2 : 1; }
    else if (ks[0] === 'signatory') { out.push('Подписант'); i = 1; }
    else if (ks[0] === 'acknowledgement') { out.push('Ознакомление'); i = 1; }
    else if (ks[0] === 'executor') { out.push('Исполнитель'); i = 1; }
    else if (ks[0] === 'clauses') { out.push('Пункты'); i = 1; }
    else { out.push(top[ks[0]] || ks[0]); i = 1; }
    for (; i < ks.length; i++) {
      const k = ks[i];
      const prev = ks[i - 1];
      if (typeof k === 'number') {
        if (prev === 'rows') out.push('строка ' + (k + 1));
        else if (prev === 'columns' || typeof prev === 'number') out.push('графа ' + (k + 1));
        else if (prev === 'content') out.push('блок ' + (k + 1));
        else if (prev === 'people') out.push('человек ' + (k + 1));
        else out.push('№ ' + (k + 1));
      } else if (k === 'people' || k === 'content') {
        if (typeof ks[i + 1] !== 'number') out.push(words[k] || k);
      } else if (!(k === 'rows' || k === 'columns') || typeof ks[i + 1] !== 'number') out.push(words[k] || k);
    }
    return out.join(', ');
  }

  function clearProblems() {
    root.querySelectorAll('.invalid').forEach((e) => e.classList.remove('invalid'));
    root.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
    root.querySelectorAll('.err').forEach((e) => { e.textContent = ''; });
    problemsBox.hidden = true;
    problemsBox.replaceChildren();
  }
  // place puts a problem at the field of its path, or of the nearest enclosing part.
  function place(path, msg) {
    for (let p = path; p !== null; p = parentPath(p)) {
      const t = p === '' ? null : root.querySelector(`[data-field="${CSS.escape(p)}"]`);
      if (!t) { if (p === '') break; continue; }
      t.classList.add('invalid');
      t.querySelectorAll(inp(path)).forEach((x) => x.setAttribute('aria-invalid', 'true'));
      let box = t.querySelector(':scope > .err');
      let text = ru(msg);
      if (!box) {
        // A table cell has no room for text: its table says which cell.
        const host = t.parentElement && t.parentElement.closest('[data-field]');
        box = host && host.querySelector(':scope > .err');
        text = pathLabel(path).split(', ').slice(-2).join(', ') + ': ' + text;
        if (host) host.classList.add('invalid');
      } else if (p !== path) {
        text = pathLabel(path).split(', ').slice(-1)[0] + ': ' + text;
      }
      if (box) box.append(el('div', {}, text));
      const d = t.closest('details');
      if (d) d.open = true;
      return t;
    }
    return null;
  }
  function showProblems(errors, { all }) {
    clearProblems();
    lastProblems = errors;
    const shown = all ? errors : errors.filter((e) => touched.has(e.path) || [...touched].some((t) => t.startsWith(e.path + '.') || t.startsWith(e.path + '[')));
    shown.forEach((e) => place(e.path || '', e.message));
    if (!all) return;
    const list = el('ul', { class: 'problems-list' }, errors.map((e) => {
      const target = e.path ? root.querySelector(inp(e.path)) || root.querySelector(`[data-field="${CSS.escape(e.path)}"]`) : null;
      const text = pathLabel(e.path) + ': ' + ru(e.message);
      return el('li', {}, target ? el('a', { href: '#' + (target.id || ''), onclick: (ev) => { ev.preventDefault(); focusProblem(e.path); } }, text) : text);
    }));
    problemsBox.replaceChildren(el('strong', {}, `В проекте ${errors.length} ${plural(errors.length, 'ошибка', 'ошибки', 'ошибок')}:`), list);
    problemsBox.hidden = false;
  }
  function focusProblem(path) {
    for (let p = path; p; p = parentPath(p)) {
      const t = root.querySelector(inp(p)) || root.querySelector(`[data-field="${CSS.escape(p)}"] [data-path]`);
      if (t) { const d = t.closest('details'); if (d) d.open = true; t.focus(); t.scrollIntoView({ block: 'center' }); return; }
    }
  }
  function plural(n, one, few, many) {
    const m10 = n % 10; const m100 = n % 100;
    if (m10 === 1 && m100 !== 11) return one;
    if (m10 >= 2 && m10 <= 4 && (m100 < 10 || m100 >= 20)) return few;
    return many;
  }

  // ---- preview: rendered now by POST /api/v1/preview, not queued ----
  let previewTimer = 0;
  let previewing = false;
  let previewAgain = false;
  let previewURL = '';
  function schedulePreview() {
    clearTimeout(previewTimer);
    if (autoPreview.checked) previewTimer = setTimeout(() => preview(false), 1500);
  }
  async function preview(explicit) {
    if (previewing) { previewAgain = true; return; }
    previewing = true;
    previewStatus.textContent = 'Формируется предпросмотр…';
    try {
      const r = await api('POST', '/api/v1/preview', payload());
      if (r.ok) {
        const blob = await r.blob();
        if (previewURL) URL.revokeObjectURL(previewURL);
        previewURL = URL.createObjectURL(blob);
        frame.src = previewURL + '#toolbar=0&view=FitH';
        frame.dataset.bytes = String(blob.size);
        frame.dataset.type = blob.type;
        // Phone browsers show no PDF inside a page: they open it by this link.
        const open = document.getElementById('preview-open');
        open.href = previewURL;
        open.hidden = false;
        previewStatus.textContent = 'Предпросмотр обновлён в ' + new Date().toLocaleTimeString('ru-RU') + ' — документ печатается как «ПРОЕКТ» до регистрации.';
        if (explicit || lastProblems.length) clearProblems();
        lastProblems = [];
      } else {
        const p = await problem(r);
        if (p.status === 422 && p.errors.length) {
          // A summary on the screen (a refused submit) stays, brought up to date.
          showProblems(p.errors, { all: explicit || !problemsBox.hidden });
          previewStatus.replaceChildren(`В проекте ${p.errors.length} ${plural(p.errors.length, 'ошибка', 'ошибки', 'ошибок')}. `,
            el('button', { type: 'button', class: 'btn btn-link btn-sm', onclick: () => { showProblems(lastProblems, { all: true }); problemsBox.focus(); } }, 'Показать'));
        } else {
          previewStatus.textContent = 'Предпросмотр не получился: ' + (p.detail || p.status);
        }
      }
    } catch (e) {
      previewStatus.textContent = 'Предпросмотр не получился: ' + e.message;
    } finally {
      previewing = false;
      if (previewAgain) { previewAgain = false; preview(false); }
    }
  }
  document.getElementById('preview-btn').addEventListener('click', () => preview(true));
  // The preview opens over the whole screen: on a phone there is no room for it beside
  // the form (it was an empty dark box), on a desktop a page reads better large.
  const fullBtn = document.getElementById('preview-full');
  const aside = document.querySelector('aside.preview');
  function setFull(on) {
    aside.classList.toggle('preview-open', on);
    document.body.classList.toggle('no-scroll', on);
    fullBtn.setAttribute('aria-pressed', String(on));
    fullBtn.textContent = on ? 'Закрыть предпросмотр' : 'На весь экран';
    if (on && !frame.dataset.bytes) preview(true);
    fullBtn.focus();
  }
  fullBtn.addEventListener('click', () => setFull(!aside.classList.contains('preview-open')));
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && aside.classList.contains('preview-open')) setFull(false); });
  autoPreview.addEventListener('change', () => { if (autoPreview.checked) preview(false); });

  // ---- submit ----
  let idemKey = '';
  let lastBody = '';
  function randomKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }
  async function submit() {
    const body = payload();
    const text = JSON.stringify(body);
    // The same draft sent twice (a double click, a retry after a lost answer) is one order.
    if (text !== lastBody) { idemKey = randomKey(); lastBody = text; }
    submitBtn.disabled = true;
    submitStatus.textContent = 'Отправка…';
    try {
      const r = page.edit
        ? await api('PUT', `/api/v1/orders/${page.edit}`, body)
        : await api('POST', '/api/v1/orders', body, { 'Idempotency-Key': idemKey });
      if (r.status === 202) {
        const j = await r.json();
        localStorage.removeItem(storeKey);
        dirty = false;
        submitStatus.textContent = 'Принято. Открываю страницу приказа…';
        location.href = '/orders/' + (j.id || page.edit);
        return;
      }
      const p = await problem(r);
      if (p.errors.length) {
        showProblems(p.errors, { all: true });
        problemsBox.focus();
        submitStatus.textContent = 'Исправьте ошибки в форме.';
      } else {
        submitStatus.textContent = 'Не отправлено: ' + (p.detail || p.status);
      }
    } catch (e) {
      submitStatus.textContent = 'Не отправлено: ' + e.message;
    } finally {
      submitBtn.disabled = false;
    }
  }
  submitBtn.addEventListener('click', submit);
  document.getElementById('submit-top').addEventListener('click', submit);
  document.getElementById('reset-btn').addEventListener('click', () => {
    if (!confirm('Очистить форму? Несохранённый текст пропадёт.')) return;
    load(blank());
    localStorage.removeItem(storeKey);
  });
  if (page.edit) submitBtn.textContent = 'Сохранить и сформировать заново';

  // ---- starting points ----
  function load(d, note) {
    model = normalize(d);
    dirty = false;
    touched.clear();
    clearProblems();
    render();
    if (note) savedLabel.textContent = note;
    if (model.title) preview(false);
  }
  function startFrom(id) {
    if (!id) return;
    if (dirty && !confirm('Заменить содержимое формы?')) return;
    if (id === 'blank') { load(blank(), 'Пустой приказ'); save(); return; }
    const t = (page.templates || []).find((x) => x.id === id);
    if (t) { load(t.draft, 'Начато с: ' + t.label); save(); }
  }
  // fromOrder prepares another order's draft: its letterhead is taken afresh from the
  // profile, and its number, date and acknowledgement dates stay with the old order.
  function fromOrder(d, keepLetterhead) {
    d = Object.assign({}, d);
    delete d.number;
    delete d.date;
    const org = currentOrgOf(d.organization);
    if (!keepLetterhead || (org && JSON.stringify(org.letterhead) === JSON.stringify(d.letterhead))) delete d.letterhead;
    if (!page.admin) delete d.organization;
    if (d.acknowledgement) (d.acknowledgement.people || []).forEach((p) => delete p.date);
    return d;
  }
  function currentOrgOf(id) { return (page.orgs || []).find((o) => o.id === id) || (page.orgs || [])[0]; }

  async function init() {
    try {
      if (page.edit) {
        const r = await api('GET', `/api/v1/orders/${page.edit}`);
        if (!r.ok) throw new Error((await problem(r)).detail);
        const o = await r.json();
        const saved = readSaved();
        if (saved && saved.at > Date.parse(o.updated_at)) {
          load(saved.draft, 'Восстановлены несохранённые изменения из браузера');
          dirty = true;
        } else load(fromOrder(o.draft, true));
        return;
      }
      if (page.copy) {
        const r = await api('GET', `/api/v1/orders/${encodeURIComponent(page.copy)}`);
        if (!r.ok) throw new Error('приказ для копии не найден');
        const o = await r.json();
        load(fromOrder(o.draft, false), 'Копия приказа' + (o.number ? ' № ' + o.number : '') + ': номер и дата будут новыми');
        save();
        return;
      }
      if (page.template) {
        const t = (page.templates || []).find((x) => x.id === page.template);
        if (t) { load(t.draft, 'Начато с: ' + t.label); save(); return; }
      }
      const saved = readSaved();
      if (saved) {
        load(saved.draft, 'Восстановлен черновик от ' + new Date(saved.at).toLocaleString('ru-RU'));
        dirty = true;
        return;
      }
      load(blank());
    } catch (e) {
      root.replaceChildren(el('div', { class: 'alert alert-error' }, 'Форму не удалось открыть: ' + e.message));
      // Nothing to send: a button that sends an empty form would only confuse.
      for (const id of ['submit-btn', 'submit-top', 'preview-btn', 'reset-btn']) { const b = document.getElementById(id); if (b) b.disabled = true; }
    }
  }
  function readSaved() {
    try { const s = JSON.parse(localStorage.getItem(storeKey) || 'null'); return s && s.draft ? s : null; } catch (_) { return null; }
  }
  window.addEventListener('beforeunload', () => { if (dirty) { clearTimeout(saveTimer); try { localStorage.setItem(storeKey, JSON.stringify({ at: Date.now(), draft: model })); } catch (_) { /* full */ } } });
  init();
})();
