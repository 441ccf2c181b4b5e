package driver

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"orders/internal/registry"
)

// Dialect is what differs between the drivers when a query is built.
type Dialect struct {
	Placeholder func(n int) string // the n-th (1-based) parameter
	Time        func(time.Time) any
	UUID        func(uuid.UUID) any
	// FullText is the condition that an order matches all terms (at least one).
	FullText func(a *Args, terms []Term) string
	// FullTextFrom, if set, replaces FullText: the orders are read through the FROM clause it
	// returns, which starts at the full-text index, and cond (ANDed to the WHERE clause) is
	// the match. A driver uses it when few orders match, so reading the matches and sorting
	// them costs less than walking the organization's orders newest first.
	FullTextFrom func(a *Args, terms []Term) (from, cond string)
	// FullTextOrder, if set with FullTextFrom, is the ORDER BY of a full-text list instead of
	// the orders' own: the order the index yields its matches in, which lets the query stop
	// at the page. The driver then puts the rows in the orders' order itself.
	FullTextOrder string
	// FullTextTable, if set, names a narrow table (id, org_id, created_at, search_tsv), one
	// row per order, search_tsv being what FullText matches. The matches are found and sorted
	// there, and orders is read for the page only; its rows are too wide to read one a
	// candidate.
	FullTextTable string
	// FullTextWindow, with FullTextTable, makes the list of one organization search only its
	// newest FullTextWindow orders (after the cursor): a bounded walk, which finds the page
	// when the words are common. If that finds less than a page, the caller asks again
	// without the window: the matches, read from the index and sorted.
	FullTextWindow int
	// Unindexed, with FullTextTable, is an expression of a time column equal to it that no
	// index gives in order, which keeps the planner from walking the organization's orders
	// (unbounded when the matches are old: «инвентаризация 2023») instead of reading the
	// matches from the full-text index.
	Unindexed func(col string) string
	// FullTextOrg, with FullTextTable, is the condition that the narrow table's full-text
	// index finds an organization's orders by: matches are then read for the one
	// organization only, not for all of them. org_id = … is tested besides.
	FullTextOrg func(a *Args, orgID string) string
	// LeadingInt is the number at the start of a text column (0 without one): «37-о» sorts
	// by 37, before «1355».
	LeadingInt func(col string) string
	// Collate, if set, follows a text sort key: the code point order, which is the Russian
	// alphabet for the lower-case, ё-folded search_text, whatever the database's locale.
	Collate string
}

// Args collects query parameters and names their placeholders.
type Args struct {
	d      *Dialect
	Values []any
}

// Args starts a parameter list.
func (d *Dialect) Args() *Args { return &Args{d: d} }

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	a.Values = append(a.Values, v)
	return a.d.Placeholder(len(a.Values))
}

// cursorVersion prefixes cursors so that a future change of the sort order can reject old
// cursors clearly instead of silently skipping rows.
const cursorVersion = "1"

// EncodeCursor makes the cursor that resumes after the order created at t with id.
func EncodeCursor(t time.Time, id uuid.UUID) string {
	raw := cursorVersion + "|" + strconv.FormatInt(t.UnixMicro(), 10) + "|" + id.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reverses EncodeCursor; anything else is registry.ErrBadCursor.
func DecodeCursor(s string) (time.Time, uuid.UUID, error) {
	bad := func(why string) (time.Time, uuid.UUID, error) {
		return time.Time{}, uuid.Nil, fmt.Errorf("%w: %s", registry.ErrBadCursor, why)
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("not base64url")
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != cursorVersion {
		return bad("unknown format")
	}
	micros, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return bad("bad time")
	}
	id, err := uuid.Parse(parts[2])
	if err != nil {
		return bad("bad id")
	}
	return time.UnixMicro(micros).UTC(), id, nil
}

// escapeLike makes s match literally inside a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// conditions are the WHERE terms of f's filters but the full text and the cursor, their
// parameters added to a.
func conditions(a *Args, f registry.Filter) ([]string, error) {
	if err := checkDate("date_from", f.DateFrom); err != nil {
		return nil, err
	}
	if err := checkDate("date_to", f.DateTo); err != nil {
		return nil, err
	}
	if f.Status != "" {
		if err := checkStatus(f.Status); err != nil {
			return nil, err
		}
	}
	if f.State != "" && !f.State.Valid() {
		return nil, fmt.Errorf("%w: unknown state %q", registry.ErrInvalid, f.State)
	}
	var where []string
	if f.OrgID != "" {
		where = append(where, "org_id = "+a.Add(f.OrgID))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+a.Add(f.Kind))
	}
	if f.Status != "" {
		where = append(where, "status = "+a.Add(string(f.Status)))
	}
	if f.DateFrom != "" || f.DateTo != "" {
		// Undated orders are stored as '' and must not match a range.
		where = append(where, "order_date <> ''")
	}
	if f.DateFrom != "" {
		where = append(where, "order_date >= "+a.Add(f.DateFrom))
	}
	if f.DateTo != "" {
		where = append(where, "order_date <= "+a.Add(f.DateTo))
	}
	for _, w := range strings.Fields(SearchText(f.Text)) {
		where = append(where, "search_text LIKE "+a.Add("%"+escapeLike(w)+"%")+` ESCAPE '\'`)
	}
	if f.State != "" {
		where = append(where, "state = "+a.Add(string(f.State)))
	}
	if f.Number != "" {
		// The literal term lets the partial indexes of numbers (WHERE number <> '') serve:
		// a planner cannot tell that a parameter is not ''.
		where = append(where, "number <> ''", "number = "+a.Add(f.Number))
	}
	for _, w := range strings.Fields(SearchText(f.Signatory)) {
		where = append(where, "signatory_search LIKE "+a.Add("%"+escapeLike(w)+"%")+` ESCAPE '\'`)
	}
	if f.Imported != nil {
		where = append(where, "imported = "+a.Add(*f.Imported))
	}
	if f.CreatedBy != "" {
		where = append(where, "created_by = "+a.Add(f.CreatedBy))
	}
	if f.Case != "" {
		sub := "SELECT order_id FROM case_files WHERE case_idx = " + a.Add(f.Case)
		if f.CaseYear != 0 {
			sub += " AND year = " + a.Add(f.CaseYear)
		}
		where = append(where, "orders.id IN ("+sub+")")
	}
	return where, nil
}

// ListQuery builds the ListOrders query selecting cols from orders. It asks for one row more
// than the page size, which tells Page whether there is a next page.
func ListQuery(d *Dialect, cols string, f registry.Filter) (query string, args []any, limit int, err error) {
	if f.Sort != "" {
		return SortedQuery(d, cols, f)
	}
	a := d.Args()
	where, err := conditions(a, f)
	if err != nil {
		return "", nil, 0, err
	}
	from := " FROM orders"
	const order = " ORDER BY created_at DESC, id DESC"
	inner := order
	// Besides the organization (and the cursor), the other filters need the orders' rows.
	onlyOrg := len(where) == 0 || (f.OrgID != "" && len(where) == 1)
	if strings.TrimSpace(f.FullText) != "" {
		if terms := QueryTerms(f.FullText); len(terms) == 0 {
			where = append(where, "1 = 0") // stop words only: nothing to look for
		} else if d.FullTextTable != "" {
			if onlyOrg {
				// The page is chosen in the narrow table: the orders' conditions are not used.
				a = d.Args()
			}
			sub := []string{d.FullText(a, terms)}
			if f.OrgID != "" {
				sub[0] += " AND " + d.FullTextOrg(a, f.OrgID)
				sub = append(sub, "org_id = "+a.Add(f.OrgID))
			}
			if !onlyOrg {
				// Other filters: the planner joins the matches to the orders that pass them.
				where = append(where, "id IN (SELECT id FROM "+d.FullTextTable+" WHERE "+strings.Join(sub, " AND ")+")")
			} else {
				match := sub[0]
				sub = sub[1:]
				if f.Cursor != "" {
					t, id, err := DecodeCursor(f.Cursor)
					if err != nil {
						return "", nil, 0, err
					}
					sub = append(sub, "(created_at, id) < ("+a.Add(d.Time(t))+", "+a.Add(d.UUID(id))+")")
				}
				limit = Limit(f.Limit)
				const order = " ORDER BY created_at DESC, id DESC"
				var inner string
				if d.FullTextWindow > 0 && f.OrgID != "" {
					inner = "SELECT id FROM (SELECT id, created_at, search_tsv FROM " + d.FullTextTable +
						" WHERE " + strings.Join(sub, " AND ") + order + " LIMIT " + a.Add(d.FullTextWindow) + ") w" +
						" WHERE " + match + order
				} else {
					inner = "SELECT id FROM " + d.FullTextTable + " WHERE " + strings.Join(append(sub, match), " AND ") +
						" ORDER BY " + d.Unindexed("created_at") + " DESC, id DESC"
				}
				query = "SELECT " + cols + " FROM orders WHERE id IN (" + inner + " LIMIT " + a.Add(limit+1) + ")" + order
				return query, a.Values, limit, nil
			}
		} else if d.FullTextFrom != nil {
			var cond string
			from, cond = d.FullTextFrom(a, terms)
			where = append(where, cond)
			if d.FullTextOrder != "" {
				inner = d.FullTextOrder
			}
		} else {
			where = append(where, d.FullText(a, terms))
		}
	}
	if f.Cursor != "" {
		t, id, err := DecodeCursor(f.Cursor)
		if err != nil {
			return "", nil, 0, err
		}
		where = append(where, "(created_at, id) < ("+a.Add(d.Time(t))+", "+a.Add(d.UUID(id))+")")
	}
	limit = Limit(f.Limit)
	var b strings.Builder
	// A date range is read from its index (orders_org_date) and sorted: a month of a large
	// organization is thousands of orders. Sorting whole rows meant reading every one of
	// them, several KB each, for a page of 50 or 500: ~45 ms a page on PostgreSQL and up
	// to 90 ms on SQLite for a million orders. So the range is sorted as IDs (the index has
	// what the sort and the cursor need) and only the page's rows are read.
	late := f.DateFrom != "" || f.DateTo != ""
	if late {
		b.WriteString("SELECT " + cols + " FROM orders WHERE id IN (SELECT id" + from)
	} else {
		b.WriteString("SELECT " + cols + from)
	}
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	// The limit is a parameter, so the query text does not change with the page size:
	// pgx caches one prepared statement per text.
	b.WriteString(inner + " LIMIT " + a.Add(limit+1))
	if late {
		b.WriteString(")" + order)
	}
	return b.String(), a.Values, limit, nil
}

// Page cuts the rows of a ListQuery to the page size and makes the next cursor.
func Page(rows []registry.Order, limit int) ([]registry.Order, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	last := rows[limit-1]
	return rows, EncodeCursor(last.CreatedAt, last.ID)
}

// sortedCursorVersion prefixes the cursors of a sorted list: an offset, as the sort keys
// (date, number, title) are not unique and a page of a search is small.
const sortedCursorVersion = "s"

func encodeOffset(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(sortedCursorVersion + "|" + strconv.Itoa(n)))
}

func decodeOffset(s string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.Split(string(raw), "|")
	if err != nil || len(parts) != 2 || parts[0] != sortedCursorVersion {
		return 0, fmt.Errorf("%w: not a cursor of a sorted list", registry.ErrBadCursor)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: bad offset", registry.ErrBadCursor)
	}
	return n, nil
}

// orderBy is the ORDER BY of a sort key; the newest first breaks ties, so pages never
// overlap. Undated and unnumbered orders (drafts) come last either way.
func orderBy(d *Dialect, sort string) (string, error) {
	key, dir := strings.TrimPrefix(sort, "-"), " ASC"
	if strings.HasPrefix(sort, "-") {
		dir = " DESC"
	}
	const tie = ", created_at DESC, id DESC"
	switch key {
	case "date":
		return " ORDER BY (order_date = ''), order_date" + dir + tie, nil
	case "number":
		return " ORDER BY (number = ''), " + d.LeadingInt("number") + dir + ", number" + d.Collate + dir + tie, nil
	case "title":
		return " ORDER BY search_text" + d.Collate + dir + tie, nil
	}
	return "", fmt.Errorf("%w: unknown sort %q; known: date, number, title (with - for descending)", registry.ErrInvalid, sort)
}

// matchCondition is the WHERE term of a full-text query in a sorted list or a count: the
// orders among the matches, however the driver finds them.
func matchCondition(d *Dialect, a *Args, f registry.Filter) string {
	terms := QueryTerms(f.FullText)
	switch {
	case strings.TrimSpace(f.FullText) == "":
		return ""
	case len(terms) == 0:
		return "1 = 0"
	case d.FullTextTable != "":
		sub := d.FullText(a, terms)
		if f.OrgID != "" {
			sub += " AND " + d.FullTextOrg(a, f.OrgID)
		}
		return "id IN (SELECT id FROM " + d.FullTextTable + " WHERE " + sub + ")"
	}
	return d.FullText(a, terms)
}

// SortedQuery builds the ListOrders query of a filter with Sort: the matches in the order
// asked for, a page at an offset.
func SortedQuery(d *Dialect, cols string, f registry.Filter) (query string, args []any, limit int, err error) {
	order, err := orderBy(d, f.Sort)
	if err != nil {
		return "", nil, 0, err
	}
	offset := 0
	if f.Cursor != "" {
		if offset, err = decodeOffset(f.Cursor); err != nil {
			return "", nil, 0, err
		}
	}
	a := d.Args()
	where, err := conditions(a, f)
	if err != nil {
		return "", nil, 0, err
	}
	if m := matchCondition(d, a, f); m != "" {
		where = append(where, m)
	}
	limit = Limit(f.Limit)
	q := "SELECT " + cols + " FROM orders"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += order + " LIMIT " + a.Add(limit+1) + " OFFSET " + a.Add(offset)
	return q, a.Values, limit, nil
}

// SortedPage cuts the rows of a SortedQuery to the page size and makes the next cursor.
func SortedPage(rows []registry.Order, f registry.Filter) ([]registry.Order, string) {
	limit := Limit(f.Limit)
	if len(rows) <= limit {
		return rows, ""
	}
	offset, _ := decodeOffset(f.Cursor) // checked by SortedQuery
	if f.Cursor == "" {
		offset = 0
	}
	return rows[:limit], encodeOffset(offset + limit)
}

// CountQuery counts the orders of f, at most registry.MaxCount: a count of a large
// organization's million orders would read them all for a number nobody needs exactly.
func CountQuery(d *Dialect, f registry.Filter) (query string, args []any, err error) {
	a := d.Args()
	where, err := conditions(a, f)
	if err != nil {
		return "", nil, err
	}
	if m := matchCondition(d, a, f); m != "" {
		where = append(where, m)
	}
	q := "SELECT count(*) FROM (SELECT 1 FROM orders"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " LIMIT " + a.Add(registry.MaxCount+1) + ") c", a.Values, nil
}
