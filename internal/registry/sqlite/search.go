package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// A full-text list is one organization's matching orders, newest first. It is read from the
// index newest first and stops at the page, whatever the number of matches and wherever they
// lie (migration 00018):
//
//   - every document has a term of its organization (OrgTerm), so the index intersects the
//     organization's documents with the matches itself, and another organization's matches
//     are never read;
//   - docids follow the orders' creation: created_at(a) < created_at(b) means docid(a) <
//     docid(b) (a new order gets the largest docid, and insertOrder keeps its created_at from
//     being earlier than the latest). So the index's rowid order, newest first, is the list's
//     order but for orders created at the same microsecond (a batch), which are ordered by
//     id: ListOrders sorts the page and reads again the group of such orders the page ends in.
//
// A list with other conditions too (status, state, dates, kind…) walks the orders by the
// index of those conditions, newest first, and checks each against the set of the
// organization's matches (dialectSet): reading the matches newest first would read all of
// them when the other conditions are rare, seconds for a common word (1.4 s measured for
// status=failed and «приказываю» on a million orders; 85-225 ms with the set).
//
// On a registry of a million orders (BenchmarkMillion in internal/registry) this replaced three
// shapes chosen by the number of matches, whose slow case (matches old or rare in the
// organization: a walk of the organization's orders) took 150-500 ms.

// OrgTerm is the index term of the organization org: a character no query term has («§»,
// which the query's words never hold) and a hash of the ID, so that any ID is one token.
// Two organizations sharing a term would only make the index return more; the list's
// org_id condition still holds.
func OrgTerm(org string) string {
	h := sha256.Sum256([]byte(org))
	return "§" + hex.EncodeToString(h[:8])
}

// IndexDoc is what the index holds for an order of org with stems.
func IndexDoc(org, stems string) string { return OrgTerm(org) + " " + stems }

// matchExpr is the FTS5 query of terms: for every term, one of its stems; and the
// organization's term if org is not empty.
func matchExpr(org string, terms []driver.Term) string {
	groups := make([]string, 0, len(terms)+1)
	if org != "" {
		groups = append(groups, `"`+OrgTerm(org)+`"`)
	}
	for _, t := range terms {
		alts := make([]string, len(t.Stems))
		for j, s := range t.Stems {
			// A quoted FTS5 string is taken literally; quotes inside are doubled.
			alts[j] = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		if t.Prefix != "" {
			// The index holds stems, and a stem is never longer than its word: the prefix
			// query of the whole word finds the longer forms only, which the stems miss.
			alts = append(alts, `"`+strings.ReplaceAll(t.Prefix, `"`, `""`)+`"*`)
		}
		groups = append(groups, "("+strings.Join(alts, " OR ")+")")
	}
	return strings.Join(groups, " AND ")
}

const fromIndex = " FROM order_fts CROSS JOIN order_search ON order_search.docid = order_fts.rowid" +
	" CROSS JOIN orders ON orders.id = order_search.order_id"

// The docids of the orders created at ?: a range, as the docids follow created_at.
const (
	minDocAt = "(SELECT min(s.docid) FROM orders o2 JOIN order_search s ON s.order_id = o2.id WHERE o2.created_at = "
	maxDocAt = "(SELECT max(s.docid) FROM orders o2 JOIN order_search s ON s.order_id = o2.id WHERE o2.created_at = "
)

// searchDialect is the dialect of a full-text list of f. at, if not zero, restricts it to the
// orders created at that time, in the orders' own order: the group a page ends in.
func searchDialect(f registry.Filter, at time.Time) *driver.Dialect {
	d := *dialect
	d.FullTextFrom = func(a *driver.Args, terms []driver.Term) (string, string) {
		cond := "order_fts MATCH " + a.Add(matchExpr(f.OrgID, terms))
		if !at.IsZero() {
			t := fmtTime(at)
			return fromIndex, cond + " AND orders.created_at = " + a.Add(t) +
				" AND order_fts.rowid >= " + minDocAt + a.Add(t) + ")" +
				" AND order_fts.rowid <= " + maxDocAt + a.Add(t) + ")"
		}
		if f.Cursor != "" {
			// The index starts at the cursor's time instead of reading the pages before it;
			// a bad cursor is refused by ListQuery.
			if t, _, err := driver.DecodeCursor(f.Cursor); err == nil {
				cond += " AND order_fts.rowid <= coalesce(" + maxDocAt +
					"(SELECT max(created_at) FROM orders WHERE created_at <= " + a.Add(fmtTime(t)) + ")), -1)"
			}
		}
		return fromIndex, cond
	}
	if at.IsZero() {
		d.FullTextOrder = " ORDER BY order_fts.rowid DESC"
	}
	return &d
}

// onlyText says f asks for nothing but an organization's full-text matches (and a page).
func onlyText(f registry.Filter) bool {
	g := registry.Filter{OrgID: f.OrgID, FullText: f.FullText, Cursor: f.Cursor, Limit: f.Limit}
	return f == g
}

// dialectSet matches orders whose document is in the set of the organization's matches,
// made once per query; each order walked (by the index of the other conditions) finds its
// docid through order_search's index.
func dialectSet(f registry.Filter) *driver.Dialect {
	d := *dialect
	d.FullText = func(a *driver.Args, terms []driver.Term) string {
		return "(SELECT s.docid FROM order_search s WHERE s.order_id = orders.id) IN " +
			"(SELECT rowid FROM order_fts WHERE order_fts MATCH " + a.Add(matchExpr(f.OrgID, terms)) + ")"
	}
	return &d
}

// listSearch runs a full-text list of f: the rows in the index's order, then the group of
// orders created at the time of the last row, as the page may end inside it.
func (s *Store) listSearch(ctx context.Context, f registry.Filter) ([]registry.Order, int, error) {
	list, limit, err := s.listWith(ctx, searchDialect(f, time.Time{}), f)
	if err != nil || len(list) <= limit {
		sortOrders(list)
		return list, limit, err
	}
	last := list[0].CreatedAt
	for _, o := range list {
		if o.CreatedAt.Before(last) {
			last = o.CreatedAt
		}
	}
	group, _, err := s.listWith(ctx, searchDialect(f, last), f)
	if err != nil {
		return nil, 0, err
	}
	list = slices.DeleteFunc(list, func(o registry.Order) bool { return o.CreatedAt.Equal(last) })
	list = append(list, group...)
	sortOrders(list)
	return list[:min(len(list), limit+1)], limit, nil
}

// sortOrders puts orders in the lists' order: newest first, then by ID (as text: the same as
// by bytes), descending.
func sortOrders(list []registry.Order) {
	slices.SortFunc(list, func(a, b registry.Order) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(b.ID[:], a.ID[:])
	})
}
