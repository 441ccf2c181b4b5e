// The order page's control of execution: the items its registration made from clauses with a
// responsible person and a deadline, each with its state as the API tells it. Marking one
// executed is the control page's (/control), which every role reaches from the menu.
'use strict';
(() => {
  const { api, el, pageData: page, ruDate, ruDateTime } = window.Orders;
  const card = document.getElementById('control-card');
  const box = document.getElementById('order-control');
  if (!card || !box) return;
  api('GET', `/api/v1/orders/${page.id}/control`).then((r) => {
    if (!r.ok) throw new Error(String(r.status));
    return r.json();
  }).then((j) => {
    const items = j.items || [];
    if (!items.length) return; // drafts and orders without controlled clauses have none
    card.hidden = false;
    box.replaceChildren(
      el('div', { class: 'table-wrap' }, el('table', { class: 'list cards' },
        el('thead', {}, el('tr', {}, ['Пункт', 'Поручение', 'Ответственный', 'Срок', 'Состояние'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, items.map((it) => el('tr', { 'data-testid': 'order-control-row', 'data-clause': it.clause },
          el('td', { 'data-label': 'Пункт' }, it.clause),
          el('td', { 'data-label': 'Поручение' }, it.text),
          el('td', { 'data-label': 'Ответственный' }, it.responsible),
          el('td', { 'data-label': 'Срок' }, it.due ? ruDate(it.due) : it.deadline),
          el('td', { 'data-label': 'Состояние', 'data-testid': 'order-control-state' },
            it.state_text + (it.done_at ? ` ${ruDateTime(it.done_at)}` : ''))))))),
      el('p', {}, el('a', { href: '/control' }, 'Все поручения на контроле')));
  }).catch(() => {
    card.hidden = false;
    box.replaceChildren(el('p', { class: 'err' }, 'Поручения на контроле не загрузились; обновите страницу.'));
  });
})();
