package sqlite

import (
	"path/filepath"
	"testing"
)

// TestSynchronousFull: the writer connection, which makes every commit, and the
// checkpointer's wait for an fsync before a commit or checkpoint returns, so that what the API
// confirmed survives a power loss. PRAGMA synchronous answers 2 for FULL (1 is NORMAL).
func TestSynchronousFull(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name string
		dsn  string
		want int
	}{
		{"default", "", 2},
		{"file URI", "file:", 2},
		{"explicit NORMAL is honoured", "?_synchronous=NORMAL", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "registry.db")
			dsn := path + tt.dsn
			if tt.dsn == "file:" {
				dsn = "file:" + path
			}
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got int
			if err := s.write(ctx, func(q txq) error {
				return q.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got)
			}); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("writer: PRAGMA synchronous = %d, want %d", got, tt.want)
			}
			var cp int
			if err := s.cdb.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&cp); err != nil {
				t.Fatal(err)
			}
			if cp != tt.want {
				t.Errorf("checkpointer: PRAGMA synchronous = %d, want %d", cp, tt.want)
			}
		})
	}
}
