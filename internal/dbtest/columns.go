package dbtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"
)

// FillColumns gives every column of table that is not a key (id, *_id) nor in keep a value
// of its own in every row, by its type: text is text and the row's id, numbers grow with
// the id, booleans are true, times are a day plus the id in hours. A column added later
// then holds a value that a read path missing it would not write, where a default (empty,
// zero, false) would read the same either way.
func FillColumns(t testing.TB, db bun.IDB, table, text string, keep ...string) {
	t.Helper()
	ctx := context.Background()
	var cols []struct {
		Name string `bun:"column_name"`
		Type string `bun:"data_type"`
	}
	err := db.NewRaw(`SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? AND is_generated = 'NEVER'
		ORDER BY ordinal_position`, table).Scan(ctx, &cols)
	if err != nil {
		t.Fatalf("dbtest: columns of %s: %v", table, err)
	}
	var sets []string
	for _, c := range cols {
		if c.Name == "id" || strings.HasSuffix(c.Name, "_id") || slices.Contains(keep, c.Name) {
			continue
		}
		var v string
		switch c.Type {
		case "text", "character varying":
			v = "? || id::text"
		case "smallint", "integer", "bigint":
			v = "id + 7"
		case "numeric", "real", "double precision":
			v = "id + 0.25"
		case "boolean":
			v = "true"
		case "timestamp with time zone", "timestamp without time zone":
			v = "'2001-02-03 04:05:06' + id * interval '1 hour'"
		default:
			continue
		}
		sets = append(sets, fmt.Sprintf("%s = %s", quoteIdent(c.Name), v))
	}
	if len(sets) == 0 {
		return
	}
	q := fmt.Sprintf("UPDATE %s SET %s", quoteIdent(table), strings.Join(sets, ", "))
	args := make([]any, strings.Count(q, "?"))
	for i := range args {
		args[i] = text
	}
	if _, err := db.NewRaw(q, args...).Exec(ctx); err != nil {
		t.Fatalf("dbtest: %s: %v", q, err)
	}
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
