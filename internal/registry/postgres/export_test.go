package postgres

// SetSearchWindow sets how many of an organization's newest orders a full-text list searches
// before it reads all of the matches (fullTextWindow); 0 reads the matches at once.
func SetSearchWindow(s *Store, n int) { s.window = n }
