package pdf

import (
	"os"
	"strings"
	"testing"
)

func TestScratchDump(t *testing.T) {
	for name, doc := range docs(t) {
		os.WriteFile("/tmp/"+name+".pdf", render(t, doc), 0o644)
	}
	os.WriteFile("/tmp/table500.pdf", render(t, build(t, tableDraft(500, ""))), 0o644)
	os.WriteFile("/tmp/tall.pdf", render(t, build(t, tableDraft(5, strings.Repeat("Очень длинное содержание ячейки таблицы. ", 200)))), 0o644)
}
