package querylimit

import (
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// ValidationRules returns gqlgen's validation rules (for handler.Server.SetValidationRulesFn)
// that keep at most maxErrors errors of one document: past that, validation goes on
// but records nothing, so a document with many conflicts cannot build a huge answer.
func ValidationRules(maxErrors int) func() *rules.Rules {
	return func() *rules.Rules {
		kept := 0 // one rule set per validation, so the count is per document
		capped := rules.NewRules()
		for name, rule := range rules.NewDefaultRules().GetInner() {
			capped.AddRule(name, func(events *core.Events, addError core.AddErrFunc) {
				rule(events, func(options ...core.ErrorOption) {
					if kept < maxErrors {
						kept++
						addError(options...)
					}
				})
			})
		}
		return capped
	}
}
