package sqlite

// SetSearchBounds moves the bounds between the full-text query shapes of s, so that a test
// can run each shape on a handful of orders.
func SetSearchBounds(s *Store, few, many int) { s.fewMatches, s.manyMatches = few, many }
