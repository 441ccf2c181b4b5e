package sqlite

import (
	"context"
	"fmt"
	"strings"

	"orders/internal/registry"
	"orders/internal/registry/internal/driver"
)

// A full-text list is one organization's matching orders, newest first. Which way of reading
// them is fast depends on how many orders match, so ListOrders first counts the matches in
// the index (up to manyMatches entries of it: a few ms) and then picks one of three query
// shapes. The bounds were measured on a registry of a million orders (BenchmarkMillion in
// internal/registry; on a shared 2-core machine, so to a factor of two):
//
//   - few matches (≤ fewMatches): read the matches from the index and sort them
//     (fullTextFrom): 10-40 µs a match, as the matches lie all over the file; 1 ms when none.
//   - more: walk the organization's orders newest first and keep those whose document is in
//     the set of matches, which the query makes once (fullText): about 0.5 µs a match for
//     the set and 1-2 µs an order walked. 10-60 ms for most queries, as the walk stops at the
//     page.
//   - most (> manyMatches): the same walk, asking the index about each order (fullTextProbe):
//     100 µs or more an order, but the walk is a page or two when a third of all orders
//     match, and no set of hundreds of thousands of entries is made (200+ ms).
//
// The walk is long when the organization's matches are old or few: a year in the query
// («инвентаризация 2023»), or a word frequent in other organizations' orders. That is the slow
// case left: up to 200-500 ms on a million orders.
const (
	fewMatches  = 2000
	manyMatches = 300000
)

var qCountMatches = stmt(`SELECT count(*) FROM (SELECT 1 FROM order_fts WHERE order_fts MATCH ?1 LIMIT ?2)`)

var (
	dialectFromIndex = withFullText(func(d *driver.Dialect) { d.FullTextFrom = fullTextFrom })
	dialectProbe     = withFullText(func(d *driver.Dialect) { d.FullText = fullTextProbe })
)

func withFullText(change func(*driver.Dialect)) *driver.Dialect {
	d := *dialect
	change(&d)
	return &d
}

// listDialect is the dialect of the list query of f: the plain one, or one whose full-text
// condition is shaped for the number of orders that match.
func (s *Store) listDialect(ctx context.Context, f registry.Filter) (*driver.Dialect, error) {
	terms := driver.QueryTerms(f.FullText)
	if len(terms) == 0 {
		return dialect, nil
	}
	var n int
	if err := s.r().QueryRowContext(ctx, qCountMatches, matchExpr(terms), s.manyMatches+1).Scan(&n); err != nil {
		return nil, fmt.Errorf("registry/sqlite: list orders: %w", err)
	}
	switch {
	case n <= s.fewMatches:
		return dialectFromIndex, nil
	case n > s.manyMatches:
		return dialectProbe, nil
	}
	return dialect, nil
}

// matchExpr is the FTS5 query of terms: for every term, one of its stems.
func matchExpr(terms []driver.Term) string {
	groups := make([]string, len(terms))
	for i, t := range terms {
		alts := make([]string, len(t.Stems))
		for j, s := range t.Stems {
			// A quoted FTS5 string is taken literally; quotes inside are doubled.
			alts[j] = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		groups[i] = "(" + strings.Join(alts, " OR ") + ")"
	}
	return strings.Join(groups, " AND ")
}

// fullText matches orders whose document is in the set of matches. The set is of docids,
// made once per query; each order walked finds its docid through order_search's index.
func fullText(a *driver.Args, terms []driver.Term) string {
	return "(SELECT s.docid FROM order_search s WHERE s.order_id = orders.id) IN " +
		"(SELECT rowid FROM order_fts WHERE order_fts MATCH " + a.Add(matchExpr(terms)) + ")"
}

// fullTextProbe asks the index about each order walked.
func fullTextProbe(a *driver.Args, terms []driver.Term) string {
	return "EXISTS (SELECT 1 FROM order_search s JOIN order_fts ON order_fts.rowid = s.docid " +
		"WHERE s.order_id = orders.id AND order_fts MATCH " + a.Add(matchExpr(terms)) + ")"
}

// fullTextFrom reads the matches from the index; CROSS JOIN keeps SQLite to that order.
func fullTextFrom(a *driver.Args, terms []driver.Term) (from, cond string) {
	return " FROM order_fts CROSS JOIN order_search ON order_search.docid = order_fts.rowid" +
			" CROSS JOIN orders ON orders.id = order_search.order_id",
		"order_fts MATCH " + a.Add(matchExpr(terms))
}
