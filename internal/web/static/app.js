// Shared by every page: calls to the JSON API with the session's CSRF token, Russian texts
// for the API's problems, and a tiny DOM builder. No framework, no build step.
'use strict';
window.Orders = (() => {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : '';

  // api calls /api/v1 with the session cookie. Unsafe methods carry X-CSRF-Token, which
  // the server requires of a cookie session. A 401 means the session ended: log in again
  // and come back here.
  async function api(method, path, body, headers = {}) {
    const h = Object.assign({ Accept: 'application/json, application/problem+json' }, headers);
    let payload;
    if (method !== 'GET' && method !== 'HEAD') h['X-CSRF-Token'] = csrf;
    if (body instanceof FormData || body instanceof Blob) payload = body; // a Blob (a chosen file) goes as it is, typed by headers
    else if (body !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
    const r = await fetch(path, { method, headers: h, body: payload, credentials: 'same-origin' });
    if (r.status === 401) {
      location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search);
      throw new Error('Сеанс завершён: войдите снова.');
    }
    return r;
  }

  // problem reads a problem+json answer (or anything else) into {status, detail, errors}.
  async function problem(r) {
    let p = {};
    try { p = await r.json(); } catch (_) { /* not JSON */ }
    return { status: r.status, detail: ru(p.detail || r.statusText || ''), errors: p.errors || [] };
  }

  // Russian for the API's English messages; anything unknown is shown as it is.
  const rules = [
    [/^empty$/, () => 'не заполнено'],
    [/^empty: say why.*/, () => 'укажите причину'],
    [/^too long: (\d+) characters, at most (\d+)/, (m) => `слишком длинно: ${m[1]} знаков, можно не более ${m[2]}`],
    [/^too many items: (\d+), at most (\d+)/, (m) => `слишком много: ${m[1]}, можно не более ${m[2]}`],
    [/^too many rows: (\d+), at most (\d+)/, (m) => `слишком много строк: ${m[1]}, можно не более ${m[2]}`],
    [/^at least one clause is required/, () => 'нужен хотя бы один пункт'],
    [/^at least one line is required/, () => 'нужна хотя бы одна строка'],
    [/^at least one person is required/, () => 'нужен хотя бы один человек'],
    [/^at least one block is required/, () => 'приложение пустое: добавьте абзац, раздел или таблицу'],
    [/^at least one column is required/, () => 'нужна хотя бы одна графа'],
    [/^has (\d+) cells, the table has (\d+) columns/, (m) => `в строке ${m[1]} ячеек, а граф в таблице ${m[2]}`],
    [/^no appendix with key/, () => 'ссылка на приложение, которого нет'],
    [/^nesting deeper than (\d+) levels/, (m) => `вложенность глубже ${m[1]} уровней`],
    [/^ends with a full stop/, () => 'в конце заголовка приказа точка не ставится (ГОСТ Р 7.0.97)'],
    [/^must be a date/, () => 'нужна дата'],
    [/^no such date/, () => 'такой даты нет'],
    [/^control character/, () => 'недопустимый управляющий символ'],
    [/^invalid UTF-8/, () => 'недопустимые символы'],
    [/^empty list/, () => 'пустой список'],
    [/^empty block/, () => 'пустой блок'],
    [/^duplicate key/, () => 'повторяющийся ключ приложения'],
    [/^must be between 0 and 100/, () => 'ширина от 0 до 100'],
    [/^unknown kind/, () => 'неизвестный вид документа'],
    [/^required when number is given/, () => 'нужна, когда указан номер'],
    [/^required with an admin token/, () => 'выберите организацию'],
    [/^no organization/, () => 'организации нет в справочнике'],
    [/^the draft has (\d+) problem/, (m) => `в проекте ошибок: ${m[1]}`],
    [/^cannot (\w+) an order that is (\w+)/, (m) => `действие невозможно: приказ ${stateRu[m[2]] || m[2]}`],
    [/^only a registered order can be signed/, () => 'подписать можно только зарегистрированный приказ'],
    [/^the organization has no signing certificate/, () => 'у организации нет сертификата подписи: его загружает администратор'],
    [/^not allowed while the order is (\w+)/, (m) => `нельзя, пока документ ${statusRu[m[1]] || m[1]}`],
    [/^the role (\w+) may not do this/, (m) => `роль «${roleRu[m[1]] || m[1]}» не может этого делать`],
    [/is not in the acknowledgement list/, () => 'этого человека нет в листе ознакомления'],
    [/^no journal/, () => 'нет такого журнала'],
    [/^body larger than/, () => 'слишком большой запрос'],
    [/^CSRF|csrf/i, () => 'форма устарела: обновите страницу'],
  ];
  const stateRu = { draft: 'проект', registered: 'зарегистрирован', signed: 'подписан', cancelled: 'отменён' };
  const statusRu = { draft: 'не отправлен', queued: 'в очереди', rendering: 'формируется', rendered: 'готов', failed: 'ошибка', cancelled: 'остановлен' };
  const roleRu = { clerk: 'делопроизводитель', head: 'руководитель', archivist: 'архивариус', admin: 'администратор' };
  function ru(msg) {
    if (!msg) return '';
    for (const [re, f] of rules) { const m = msg.match(re); if (m) return f(m); }
    return msg;
  }

  // el builds an element: el('a', {href: '/x', class: 'btn'}, 'text', child...).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'value') e.value = v;
      else if (k === 'checked') e.checked = !!v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // put replaces the children of node, leaving out the null of an absent optional part.
  function put(node, ...children) {
    node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  }

  const pageData = (() => {
    const n = document.getElementById('page-data');
    return n ? JSON.parse(n.textContent) : {};
  })();

  function ruDate(iso) {
    if (!iso) return '';
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
    return m ? `${m[3]}.${m[2]}.${m[1]}` : iso;
  }
  // MOSCOW is the one zone every date of the service is read in (Go: ru.Moscow).
  // actorName: «Зубова А.Н.» for «user:zubova (Зубова А.Н.)», as auth.ActorName.
  function actorName(a) {
    let m = /^user:\S+ \((.*)\)$/.exec(a || '');
    if (m) return m[1];
    if ((m = /^user:(.*)$/.exec(a || ''))) return m[1];
    if ((m = /^token:(.*)$/.exec(a || ''))) return 'токен API ' + m[1];
    return a || '';
  }
  const MOSCOW = 'Europe/Moscow';
  function ruDateTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleString('ru-RU', { timeZone: MOSCOW, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }).replace(',', ''); // as the server writes it
  }
  function todayMoscow() {
    const p = new Intl.DateTimeFormat('en-CA', { timeZone: MOSCOW, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    return p; // YYYY-MM-DD
  }

  // On a phone the menu folds under «Меню» (CSS shows the button on narrow screens only,
  // and only when this script runs: without it the menu stays unfolded).
  document.documentElement.classList.add('js');
  const toggle = document.getElementById('menu-toggle');
  if (toggle) {
    const top = toggle.closest('.top');
    toggle.addEventListener('click', () => {
      const open = top.classList.toggle('menu-open');
      toggle.setAttribute('aria-expanded', String(open));
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && top.classList.contains('menu-open')) { top.classList.remove('menu-open'); toggle.setAttribute('aria-expanded', 'false'); toggle.focus(); }
    });
  }

  // A table wider than its box scrolls sideways: say so, and let the keyboard scroll it
  // (a scrolling region must be focusable). Tables come and go with the pages' scripts.
  function markScrollables() {
    for (const w of document.querySelectorAll('.table-wrap')) {
      const scrolls = w.scrollWidth > w.clientWidth + 1;
      if (scrolls === w.classList.contains('scrolls')) continue;
      w.classList.toggle('scrolls', scrolls);
      if (scrolls) {
        w.tabIndex = 0;
        w.setAttribute('role', 'region');
        w.setAttribute('aria-label', 'Таблица шире экрана: прокрутите вбок');
        w.dataset.hint = 'Таблица шире экрана: прокрутите вбок →';
      } else {
        w.removeAttribute('tabindex');
        w.removeAttribute('role');
        w.removeAttribute('aria-label');
      }
    }
  }
  let scrollTimer = 0;
  const laterMark = () => { clearTimeout(scrollTimer); scrollTimer = setTimeout(markScrollables, 100); };
  new MutationObserver(laterMark).observe(document.body, { childList: true, subtree: true });
  window.addEventListener('resize', laterMark);
  laterMark();

  return { api, problem, ru, el, put, pageData, ruDate, ruDateTime, todayMoscow, stateRu, statusRu, roleRu, csrf, actorName, markScrollables };
})();
