package model_test

import (
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/graph"
	"github.com/storegraph/storegraph/graph/model"
)

func TestExecutableSchemaMatchesTables(t *testing.T) {
	if err := model.CheckSchema(graph.NewExecutableSchema(graph.Config{}).Schema()); err != nil {
		t.Fatalf("CheckSchema(the executable schema) = %v; want nil", err)
	}
}

// TestCheckSchemaNamesWhatIsMissing changes the schema as a new feature would, without
// touching the tables: the check must fail and name what the tables miss.
func TestCheckSchemaNamesWhatIsMissing(t *testing.T) {
	src, err := os.ReadFile("../../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema := string(src)
	// The one `tags(...)` line of Item, below its price.
	const itemTags = "store: Store!\n  \"The tags linked with this item, through the items_tags join.\"\n  tags(first: Int, offset: Int = 0, orderBy: TagOrder = ID"
	if !strings.Contains(schema, itemTags) {
		t.Fatal("schema.graphqls no longer has Item.tags where this test looks for it")
	}
	for _, tc := range []struct {
		name   string
		schema string
		want   string
	}{
		{"ScalarField", schema + "\nextend type Item { description: String! }\n", "Item.description has no entry"},
		{"RelationField", schema + "\nextend type Tag { related: [Tag!]! }\n", "Tag.related has no entry"},
		{"EnumValue", schema + "\nextend enum ItemOrder { CREATED }\n", "ItemOrder.CREATED has no entry"},
		{"TagOrderValue", schema + "\nextend enum TagOrder { ITEM_COUNT }\n", "TagOrder.ITEM_COUNT has no entry"},
		{"ListArgument", strings.Replace(schema, itemTags, itemTags+", nameContains: String", 1), "Item.tags(nameContains:) has no entry"},
		{"Interface", schema + "\ninterface Node { id: ID! }\nextend type Store implements Node\n", "Store belongs to [Node]"},
		{"Union", schema + "\nunion Labelled = Item | Tag\n", "Item belongs to [Labelled]"},
		{"FieldType", strings.Replace(schema, "price: Float!", "price: String!", 1), "Item.price is a String"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: tc.schema})
			if gerr != nil {
				t.Fatalf("load schema: %v", gerr)
			}
			err := model.CheckSchema(s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckSchema = %v; want an error with %q", err, tc.want)
			}
		})
	}
}
