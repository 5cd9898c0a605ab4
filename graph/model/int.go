package model

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/storegraph/storegraph/internal/catalog"
)

// MarshalInt writes a GraphQL Int as gqlgen does.
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads a GraphQL Int input value: a whole number literal, or a whole number in
// the variables' JSON, within 32 bits as GraphQL's Int is. gqlgen's own parses strings
// too ("5" as 5) and takes any 64-bit value.
func UnmarshalInt(v any) (int, error) {
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case int:
		n = int64(v)
	case json.Number: // a number in the variables, which the JSON decoder checked
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, catalog.Errorf(catalog.BadUserInput, "An Int must be a whole number.")
		}
		n = i
	case float64:
		if v != math.Trunc(v) || math.IsInf(v, 0) {
			return 0, catalog.Errorf(catalog.BadUserInput, "An Int must be a whole number.")
		}
		n = int64(v)
	case string:
		return 0, catalog.Errorf(catalog.BadUserInput, "An Int must be a number, not a string.")
	default:
		return 0, catalog.Errorf(catalog.BadUserInput, "An Int must be a whole number.")
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, catalog.Errorf(catalog.BadUserInput, "An Int must be between %d and %d.", math.MinInt32, math.MaxInt32)
	}
	return int(n), nil
}
