package model

import (
	"encoding/json"
	"math"

	"github.com/99designs/gqlgen/graphql"

	"github.com/storegraph/storegraph/internal/catalog"
)

// MarshalFloat writes a GraphQL Float as gqlgen does.
func MarshalFloat(f float64) graphql.Marshaler { return graphql.MarshalFloat(f) }

// UnmarshalFloat reads a GraphQL Float input value: a number literal, or a number in the
// variables' JSON. gqlgen's own parses strings too ("0x1p-2" as 0.25, "1_0" as 10), which
// GraphQL input coercion never turns into a Float.
func UnmarshalFloat(v any) (float64, error) {
	switch v := v.(type) {
	case float64:
		return v, nil
	case int64:
		return float64(v), nil
	case int:
		return float64(v), nil
	case json.Number: // a number in the variables, which the JSON decoder checked
		f, err := v.Float64()
		if err != nil || math.IsInf(f, 0) {
			return 0, catalog.Errorf(catalog.BadUserInput, "A Float must be a finite number.")
		}
		return f, nil
	case string:
		return 0, catalog.Errorf(catalog.BadUserInput, "A Float must be a number, not a string.")
	default:
		return 0, catalog.Errorf(catalog.BadUserInput, "A Float must be a number.")
	}
}
