package issue

import (
	"encoding/json"
	"slices"

	"orders/internal/batch"
	"orders/internal/registry"
)

// options is what a batch remembers of its request, kept in registry.Batch.Options.
type options struct {
	TemplateName string            `json:"template_name,omitempty"`
	TemplateFile string            `json:"template_file,omitempty"`
	DataFile     string            `json:"data_file,omitempty"`
	Format       string            `json:"format,omitempty"`
	Encoding     string            `json:"encoding,omitempty"`
	Sheet        string            `json:"sheet,omitempty"`
	Constants    map[string]string `json:"constants,omitempty"`
	ValidOnly    bool              `json:"valid_only,omitempty"`
	Journal      string            `json:"journal,omitempty"`
	Date         string            `json:"date,omitempty"`
	Rows         int               `json:"rows"`
	// Skipped are the problems of the rows left out (valid_only), at most maxStoredSkipped.
	Skipped      []batch.RowProblem `json:"skipped,omitempty"`
	SkippedTotal int                `json:"skipped_total,omitempty"`
	Warnings     []string           `json:"warnings,omitempty"`
	// OrgColumn is the data column naming each row's organization (a school), if any;
	// Labels its value by batch row, for the file names of result.zip.
	OrgColumn string         `json:"org_column,omitempty"`
	Labels    map[int]string `json:"labels,omitempty"`
}

// Summary is what views of a batch show of its request: the options without the labels,
// which decoding skips instead of building a map of every row.
type Summary struct {
	Journal      string             `json:"journal,omitempty"`
	Date         string             `json:"date,omitempty"`
	DataFile     string             `json:"data_file,omitempty"`
	Rows         int                `json:"rows"`
	Skipped      []batch.RowProblem `json:"skipped,omitempty"`
	SkippedTotal int                `json:"skipped_total,omitempty"`
	Warnings     []string           `json:"warnings,omitempty"`
}

// SummaryOf reads the summary of b's request (empty for a batch recorded without one).
func SummaryOf(b *registry.Batch) Summary {
	var s Summary
	_ = json.Unmarshal(b.Options, &s)
	return s
}

// SkippedRows are the lines of the rows left out (valid_only), each once, in order.
func (s Summary) SkippedRows() []int {
	var out []int
	for _, p := range s.Skipped {
		if p.Line > 0 && !slices.Contains(out, p.Line) {
			out = append(out, p.Line)
		}
	}
	return out
}
